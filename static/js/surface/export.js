// Export: the paths as CSV or JSON, a figure as PNG (Plotly's own toImage).

const Plotly = window.Plotly;

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

/** `runs[i]` = {label, optimizer, hyperparameters, status, steps, path}. */
export function exportCsv(runs) {
  const lines = ["hiker,label,optimizer,lr,step,x,y,f,grad_x,grad_y"];
  runs.forEach((run, i) => {
    const p = run.path;
    const label = `"${String(run.label).replace(/"/g, '""')}"`;
    for (let k = 0; k < p.x.length; k++) {
      lines.push(
        [
          i + 1,
          label,
          run.optimizer,
          run.hyperparameters.lr,
          k,
          p.x[k],
          p.y[k],
          p.z[k],
          p.grad_x[k],
          p.grad_y[k],
        ].join(","),
      );
    }
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
