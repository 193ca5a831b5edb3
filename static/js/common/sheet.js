// The phone's settings sheet (app.css, "sheet-open"): the sidebar slides up over
// the lower part of the screen from a toggle in the run bar, and closes with its
// own button or Escape. On a wide screen the toggle is hidden and this does nothing.

/** Wire `toggle` (aria-controls the sheet) and `close` to open and close `sheet`. */
export function wireSheet({ toggle, close, sheet }) {
  const open = (yes) => {
    document.body.classList.toggle("sheet-open", yes);
    toggle.setAttribute("aria-expanded", String(yes));
    if (yes) sheet.scrollTop = 0;
  };
  toggle.addEventListener("click", () => open(!document.body.classList.contains("sheet-open")));
  close.addEventListener("click", () => {
    open(false);
    toggle.focus();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && document.body.classList.contains("sheet-open")) open(false);
  });
  return open;
}
