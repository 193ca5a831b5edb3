// Export: the paths as CSV or JSON, a figure as PNG (Plotly's own toImage).

// `Plotly` is plotly.js's global, read when drawing: surface/main.js runs plotly.js after the page's first look.

function download(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * The columns for every hyperparameter of these runs, in the order they first
 * appear: pairs such as betas become beta1, beta2. Each is [name, value of a run].
 */
function hyperColumns(runs) {
  const columns = new Map();
  for (const run of runs)
    for (const [name, value] of Object.entries(run.hyperparameters)) {
      if (Array.isArray(value))
        value.forEach((_, k) => {
          const column = `${name.replace(/s$/, "")}${k + 1}`; // betas → beta1, beta2
          if (!columns.has(column)) columns.set(column, (r) => r.hyperparameters[name]?.[k]);
        });
      else if (!columns.has(name)) columns.set(name, (r) => r.hyperparameters[name]);
    }
  return [...columns.entries()];
}

function csvValue(value) {
  if (value === undefined || value === null) return ""; // not a setting of this optimizer
  if (typeof value === "string") return `"${value.replace(/"/g, '""')}"`;
  return String(value);
}

/**
 * One row per point of every path, with every hyperparameter of its hiker (an
 * empty cell where its optimizer has no such setting), so the CSV alone
 * reproduces the runs. `runs[i]` = {label, optimizer, hyperparameters, verdict, path}.
 */
export function exportCsv(runs) {
  const hyper = hyperColumns(runs);
  const lines = [
    [
      "hiker",
      "label",
      "optimizer",
      ...hyper.map(([name]) => name),
      "verdict",
      "step",
      "x",
      "y",
      "f",
      "grad_x",
      "grad_y",
    ].join(","),
  ];
  runs.forEach((run, i) => {
    const p = run.path;
    const fixed = [
      i + 1,
      csvValue(run.label),
      run.optimizer,
      ...hyper.map(([, read]) => csvValue(read(run))),
      csvValue(run.verdict),
    ];
    for (let k = 0; k < p.x.length; k++)
      lines.push([...fixed, k, p.x[k], p.y[k], p.z[k], p.grad_x[k], p.grad_y[k]].join(","));
  });
  download("gradient-hiker-paths.csv", `${lines.join("\n")}\n`, "text/csv");
}

export function exportJson(lesson) {
  download("gradient-hiker-paths.json", JSON.stringify(lesson, null, 1), "application/json");
}

/** Stacked plots (the map's back and front layers) as one PNG: each through toImage, drawn in order. */
export async function exportLayeredPng(elements, filename) {
  const width = elements[0].clientWidth || 800;
  const height = elements[0].clientHeight || 600;
  const scale = 2;
  const canvas = document.createElement("canvas");
  canvas.width = width * scale;
  canvas.height = height * scale;
  const context = canvas.getContext("2d");
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  for (const element of elements) {
    const url = await Plotly.toImage(element, { format: "png", width, height, scale });
    const image = new Image();
    image.src = url;
    await image.decode();
    context.drawImage(image, 0, 0);
  }
  const a = document.createElement("a");
  a.href = canvas.toDataURL("image/png");
  a.download = `${filename}.png`;
  document.body.append(a);
  a.click();
  a.remove();
}

export function exportPng(element, filename) {
  return Plotly.downloadImage(element, {
    format: "png",
    filename,
    width: element.clientWidth || 800,
    height: element.clientHeight || 600,
    scale: 2,
  });
}
