// Number formatting for readouts (plain text) and for the equation panel (LaTeX).

/** A short, readable number: 4 significant digits, exponent form when tiny or huge. */
export function fmt(value, digits = 4) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  if (!Number.isFinite(value)) return value > 0 ? "∞" : "−∞";
  if (value === 0) return "0";
  const abs = Math.abs(value);
  let text;
  if (abs >= 1e5 || abs < 1e-3) {
    const [mantissa, exponent] = value.toExponential(digits - 1).split("e");
    text = `${trimZeros(mantissa)}e${Number(exponent)}`;
  } else {
    text = trimZeros(value.toPrecision(digits));
  }
  return text.replaceAll("-", "−"); // one minus sign everywhere, the exponent's too
}

function trimZeros(text) {
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

/** A number as LaTeX: 1.234\times10^{-5}. */
export function tex(value, digits = 4) {
  if (value === null || value === undefined || Number.isNaN(value)) return "\\text{—}";
  if (!Number.isFinite(value)) return value > 0 ? "\\infty" : "-\\infty";
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-3) {
    const [mantissa, exponent] = value.toExponential(digits - 1).split("e");
    return `${trimZeros(mantissa)}\\times10^{${Number(exponent)}}`;
  }
  return trimZeros(value.toPrecision(digits));
}

/** A 2-vector as a LaTeX column. */
export function texVec([a, b], digits = 4) {
  return `\\begin{pmatrix}${tex(a, digits)}\\\\${tex(b, digits)}\\end{pmatrix}`;
}

/**
 * A coordinate picked on a plot, rounded to a thousandth of the axis span's
 * decade (span 10 → 0.01): precise enough, and short in a field or a link.
 */
export function roundToSpan(value, span) {
  const decimals = Math.max(0, -Math.floor(Math.log10(span / 1000)));
  return Number(value.toFixed(decimals));
}

/** A number for a URL or an input box: full precision, no trailing noise. */
export function plain(value) {
  return String(Number(Number(value).toPrecision(12)));
}

const SUBSCRIPT_DIGITS = "₀₁₂₃₄₅₆₇₈₉";

/** 12 → "₁₂", for names like W₁₂ in plain text. */
export function subscript(n) {
  return String(n)
    .split("")
    .map((d) => SUBSCRIPT_DIGITS[Number(d)] ?? d)
    .join("");
}
