// The course page: each lesson's progress, from this browser's storage.

import { forgetAll, progressOf } from "./progress.js";

function showProgress() {
  for (const link of document.querySelectorAll("a[data-lesson]")) {
    const id = link.dataset.lesson;
    const box = link.querySelector("[data-progress]");
    const steps = Number(box.dataset.steps);
    const { complete, last } = progressOf(id);
    const done = complete.filter((i) => i < steps).length;
    link.dataset.done = String(done);
    box.classList.toggle("finished", done >= steps);
    if (done >= steps) box.textContent = "✓ done";
    else if (done > 0 || last !== null) box.textContent = `· ${done} of ${steps} done`;
    else box.textContent = "";
    // carry on where the learner left off
    link.href = last !== null && done < steps ? `/lessons/${id}?step=${last + 1}` : `/lessons/${id}`;
  }
}

document.getElementById("forget-progress").addEventListener("click", () => {
  forgetAll();
  showProgress();
});
showProgress();
