// Keyboard shortcuts: Space run/pause, → one step, ← one step back (where a page
// can), r reset. They stay out of the way while typing in a field, and leave keys
// that a focused control uses itself (Space on a button or checkbox, arrows on a
// slider or radio) to that control.

const TOGGLES = new Set(["checkbox", "radio", "color", "button", "submit", "reset"]);

export function installShortcuts({ runPause, step, stepBack = null, reset }) {
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    const tag = target.tagName;
    const type = (target.type || "").toLowerCase();
    const typing =
      tag === "TEXTAREA" ||
      tag === "SELECT" ||
      target.isContentEditable ||
      (tag === "INPUT" && type !== "range" && !TOGGLES.has(type));
    if (typing) return;
    const spaceIsTheirs = tag === "BUTTON" || tag === "SUMMARY" || (tag === "INPUT" && TOGGLES.has(type));
    const arrowsAreTheirs = tag === "INPUT" && (type === "range" || type === "radio");
    if (event.key === " " && !spaceIsTheirs) {
      event.preventDefault();
      runPause();
    } else if (event.key === "ArrowRight" && !arrowsAreTheirs) {
      event.preventDefault();
      step();
    } else if (event.key === "ArrowLeft" && stepBack && !arrowsAreTheirs) {
      event.preventDefault();
      stepBack();
    } else if (event.key === "r" || event.key === "R") {
      event.preventDefault();
      reset();
    }
  });
}
