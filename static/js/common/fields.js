// Input checking for both pages: read a number with a message that names the
// field and says what would be accepted, and show that message next to it.

/** Show `message` under a field (or clear it with null); marks the inputs invalid for screen readers. */
export function setFieldError(inputs, box, message) {
  for (const input of [].concat(inputs)) {
    if (!input) continue;
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
  if (!box) return;
  box.hidden = !message;
  box.textContent = message || "";
  if (message) box.setAttribute("role", "alert");
}

/**
 * Read a number from an input and check it. Returns {value} or {error} with a
 * message that names the field and says what would be accepted.
 */
export function readNumber(
  input,
  { name, min = -Infinity, max = Infinity, integer = false, positive = false, exclusiveMax = false },
) {
  const text = input.value.trim();
  if (text === "") return { error: `${name}: type a number.` };
  const value = Number(text);
  if (!Number.isFinite(value)) return { error: `${name}: “${text}” is not a number.` };
  if (integer && !Number.isInteger(value)) return { error: `${name} must be a whole number (got ${text}).` };
  if (positive && value <= 0) return { error: `${name} must be greater than 0 (got ${text}).` };
  if (value < min) return { error: `${name} must be at least ${min} (got ${text}).` };
  if (exclusiveMax ? value >= max : value > max)
    return { error: `${name} must be ${exclusiveMax ? "below" : "at most"} ${max} (got ${text}).` };
  return { value };
}
