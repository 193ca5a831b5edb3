// The settings besides the hikers: colour and chart scales, the map's mode, the
// start point, when to stop, the speed, and the run buttons with their keys.

import { $, actions, app, hikerViews, saveState } from "./app.js";
import { sliderToSpeed } from "./controls.js";
import { readNumber, setFieldError } from "../common/fields.js";
import { installShortcuts } from "../common/keyboard.js";
import { renderStart, syncControls } from "./sidebar.js";

export function bindSettings() {
  const s = () => app.state;

  $("log-colour").addEventListener("change", (e) => {
    s().logColour = e.target.checked;
    saveState();
    actions.redrawSurface();
  });
  $("keep-hikers").addEventListener("change", (e) => {
    s().keepHikers = e.target.checked;
    saveState();
  });
  $("log-loss").addEventListener("change", async (e) => {
    s().logLoss = e.target.checked;
    saveState();
    await app.charts.reset(hikerViews(), { logLoss: s().logLoss, tolerance: s().tolerance });
    app.lastSignature = "";
    actions.render();
  });

  for (const radio of document.querySelectorAll('input[name="map-view"]')) {
    radio.addEventListener("change", async (e) => {
      s().view = e.target.value;
      saveState();
      syncControls();
      if (s().view === "basins") await actions.updateBasins();
      else actions.redrawSurface();
    });
  }

  const startChanged = () => {
    const x = readNumber($("start-x"), { name: "Start x" });
    const y = readNumber($("start-y"), { name: "Start y" });
    if (x.error || y.error) {
      setFieldError([$("start-x"), $("start-y")], $("start-error"), x.error || y.error);
      return;
    }
    actions.setStart([x.value, y.value]);
    actions.restartOrReset();
  };
  $("start-x").addEventListener("change", startChanged);
  $("start-y").addEventListener("change", startChanged);
  $("start-default").addEventListener("click", () => {
    s().start = null;
    s().hikers.forEach((h) => (h.start = null));
    saveState();
    renderStart();
    actions.restartOrReset();
  });

  const numberSetting = (id, key, options) => {
    $(id).addEventListener("change", () => {
      const r = readNumber($(id), options);
      if (r.error) {
        setFieldError($(id), $(`${id}-error`), r.error);
        return;
      }
      setFieldError($(id), $(`${id}-error`), null);
      s()[key] = r.value;
      saveState();
      if (key === "tolerance" || key === "maxSteps") actions.scheduleBasins();
      actions.restartOrReset();
    });
  };
  numberSetting("max-steps", "maxSteps", { name: "Max steps", min: 1, max: 100000, integer: true });
  numberSetting("tolerance", "tolerance", { name: "The tolerance", min: 0 });
  numberSetting("noise", "noise", { name: "Gradient noise", min: 0, max: 1e6 });
  numberSetting("seed", "seed", { name: "The seed", min: 0, integer: true });

  $("speed").addEventListener("input", (e) => {
    s().speed = sliderToSpeed(Number(e.target.value));
    app.runner.speed = s().speed;
    $("speed-out").textContent = `${s().speed} steps/s`;
    saveState();
  });

  // on a phone the settings are a sheet over the lower part of the screen, opened from the run bar
  const sheet = (open) => {
    document.body.classList.toggle("sheet-open", open);
    $("settings-toggle").setAttribute("aria-expanded", String(open));
    if (!open) return;
    $("controls").scrollTop = 0;
    // the plots just below the run bar, in view above the sheet
    const bar = document.querySelector(".transport").getBoundingClientRect().height;
    const views = document.querySelector(".views").getBoundingClientRect().top;
    window.scrollTo({ top: window.scrollY + views - bar - 6 });
  };
  $("settings-toggle").addEventListener("click", () =>
    sheet(!document.body.classList.contains("sheet-open")),
  );
  $("settings-close").addEventListener("click", () => {
    sheet(false);
    $("settings-toggle").focus();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && document.body.classList.contains("sheet-open")) sheet(false);
  });

  const runPause = () => actions.runPause();
  const step = () => actions.stepOnce();
  const reset = () => actions.resetRun();
  $("run").addEventListener("click", runPause);
  $("step").addEventListener("click", step);
  $("reset").addEventListener("click", reset);
  installShortcuts({ runPause, step, stepBack: () => actions.stepBack(), reset });
}
