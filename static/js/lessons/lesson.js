// A lesson: its steps in a panel beside the real page (frame.js), one at a time.
// Each step opens its page at its state, says its idea, and (for a task) listens
// to what the learner's runs produce, checking the task live (checks.js). Back,
// Next, "Show me" (the step's solution, opened and run), a prediction asked
// before the run and answered after it. ?step=N opens step N; progress is kept
// in this browser (progress.js).
//
// Test hooks (stable): the step shown is [data-step] with data-step-index (0 for
// the first step; ?step=1), its task [data-task] with data-task-done "true" once
// met, [data-show-me] performs the solution, [data-next-step] moves on.

import { getJSON } from "../common/api.js";
import { describeChecks, evaluate } from "./checks.js";
import { PageFrame } from "./frame.js";
import { completeStep, progressOf, visit } from "./progress.js";
import { renderInline, renderText } from "./render.js";

const $ = (id) => document.getElementById(id);
const root = $("lesson");
const lessonId = root.dataset.lessonId;

const view = {
  lesson: null,
  index: 0,
  // the task of the step shown: met (sticky for this visit), the prediction picked,
  // whether its answer has been revealed
  met: false,
  picked: null,
  revealed: false,
  showing: false, // "Show me" is setting the page up
};

const frame = new PageFrame($("lesson-frame"), {
  onResult: (result) => onResult(result),
  onLoading: (loading) => {
    $("frame-loading").hidden = !loading;
    $("lesson-stage").classList.toggle("loading", loading);
  },
});

function step() {
  return view.lesson.steps[view.index];
}

function alertBox(text) {
  $("lesson-alert").hidden = !text;
  $("lesson-alert").textContent = text || "";
}

// ---------------------------------------------------------------- drawing a step

function drawDots() {
  const { complete } = progressOf(lessonId);
  const dots = view.lesson.steps.map((s, i) => {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = `?step=${i + 1}`;
    a.textContent = String(i + 1);
    a.title = s.title;
    a.setAttribute("aria-label", `Step ${i + 1}: ${s.title}${complete.includes(i) ? " (done)" : ""}`);
    if (i === view.index) a.setAttribute("aria-current", "step");
    if (complete.includes(i)) a.classList.add("done");
    a.addEventListener("click", (event) => {
      event.preventDefault();
      go(i);
    });
    li.append(a);
    return li;
  });
  $("lesson-dots").replaceChildren(...dots);
}

function drawStep() {
  const s = step();
  const total = view.lesson.steps.length;
  const section = $("lesson-step");
  section.dataset.stepIndex = String(view.index);
  section.dataset.stepNumber = String(view.index + 1);
  $("step-title").textContent = `${view.index + 1}. ${s.title}`;
  renderText($("step-text"), s.text);
  $("step-count").textContent = `Step ${view.index + 1} of ${total}`;
  $("prev-step").disabled = view.index === 0 && !view.lesson.previous;
  $("prev-step").textContent = view.index === 0 ? "‹ Previous lesson" : "‹ Back";
  const last = view.index === total - 1;
  $("next-step").textContent = last ? (view.lesson.next ? "Next lesson ›" : "Finish ›") : "Next ›";
  document.title = `${s.title} — ${view.lesson.title} — Gradient Hiker`;
  drawTask();
  drawDots();
}

function drawTask() {
  const s = step();
  const box = $("lesson-task");
  box.hidden = !s.task;
  view.met = false;
  view.picked = null;
  view.revealed = false;
  if (!s.task) return;
  box.dataset.taskDone = "false";
  box.classList.remove("done");
  renderText($("task-goal"), s.task.goal);
  drawPrediction();
  const items = describeChecks(s.task, s.page).map(({ text }) => {
    const li = document.createElement("li");
    li.textContent = text;
    li.dataset.met = "false";
    return li;
  });
  $("task-checks").replaceChildren(...items);
  $("task-checks").hidden = items.length === 0;
  status(firstHint());
}

function drawPrediction() {
  const prediction = step().task.prediction;
  const box = $("prediction");
  box.hidden = !prediction;
  $("prediction-answer").hidden = true;
  if (!prediction) return;
  renderInline($("prediction-question"), prediction.question);
  const name = `prediction-${view.index}`;
  const choices = prediction.choices.map((choice, i) => {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "radio";
    input.name = name;
    input.value = String(i + 1);
    input.addEventListener("change", () => {
      view.picked = i + 1;
      if (!view.met) status(firstHint());
    });
    const words = document.createElement("span");
    renderInline(words, choice);
    label.append(input, words);
    return label;
  });
  $("prediction-choices").replaceChildren(...choices);
}

function firstHint() {
  const s = step();
  const run = { surface: "press Run", network: "press Train" }[s.page];
  const how = {
    descent: `then ${run} on the page`,
    training: `then ${run} on the page`,
    "gradient-check": "then press “Check the gradient now” on the page",
    backprop: "then click a training point on the page and step through its backward pass",
  }[s.task.result];
  if (s.task.prediction && view.picked === null) return `Make your prediction, ${how}.`;
  return `Try it: ${how.replace(/^then /, "")}. Stuck? “Show me” sets it up and runs it.`;
}

function status(text) {
  $("task-status").textContent = text;
}

// ---------------------------------------------------------------- results

function onResult(result) {
  const s = step();
  // done already: a later run does not undo it
  if (!s.task || view.met || result.kind !== s.task.result) return;
  const prediction = s.task.prediction;
  const final = result.final !== false;
  const outcome = s.task.checks.length ? evaluate(s.task, s.page, result) : { met: true, items: [], missing: [] };
  [...$("task-checks").children].forEach((li, i) => (li.dataset.met = String(outcome.items[i].met)));
  if (prediction && !final && !view.revealed) {
    status(view.picked === null ? "Make your prediction (above) before the run ends." : "Running… the answer shows when the run ends.");
    return;
  }
  if (prediction && final) {
    if (view.picked === null && !view.revealed) {
      status("Make your prediction first (above), then run it again: the answer shows after the run.");
      return;
    }
    reveal();
  }
  const predicted = !prediction || view.revealed;
  if (outcome.met && predicted) {
    markDone(outcome);
    return;
  }
  const who = outcome.subject ? `${outcome.subject}: ` : "";
  const missing = outcome.missing.length ? `${who}${outcome.missing.join("; ")}.` : "";
  status(final ? `Not yet. ${missing}` : `So far: ${missing}`);
}

function reveal() {
  const prediction = step().task.prediction;
  if (view.revealed) return;
  view.revealed = true;
  const right = view.picked === prediction.answer;
  const box = $("prediction-answer");
  const verdict = document.createElement("p");
  verdict.className = right ? "right" : "wrong";
  verdict.append(right ? "✓ You predicted it. " : "Not what you predicted — the answer: ");
  if (!right) {
    const answer = document.createElement("strong");
    renderInline(answer, prediction.choices[prediction.answer - 1]);
    verdict.append(answer, ". ");
  }
  const explain = document.createElement("div");
  renderText(explain, prediction.explain);
  box.replaceChildren(verdict, explain);
  box.hidden = false;
  for (const input of $("prediction-choices").querySelectorAll("input")) {
    input.disabled = true;
    if (Number(input.value) === prediction.answer) input.closest("label").classList.add("answer");
  }
}

function markDone(outcome) {
  const first = !view.met;
  view.met = true;
  const box = $("lesson-task");
  box.dataset.taskDone = "true";
  box.classList.add("done");
  const who = outcome.subject ? ` — ${outcome.subject} did it` : "";
  status(`✓ Done${who}. ${view.index + 1 < view.lesson.steps.length ? "Next ›" : "That was the last step."}`);
  if (first) {
    completeStep(lessonId, view.index);
    drawDots();
  }
}

// ---------------------------------------------------------------- moving

function go(index, { replace = false } = {}) {
  const wanted = Math.max(0, Math.min(view.lesson.steps.length - 1, index));
  if (wanted === view.index && !replace) return; // already there
  view.index = wanted;
  const url = `${location.pathname}?step=${view.index + 1}`;
  if (replace) history.replaceState({ step: view.index }, "", url);
  else history.pushState({ step: view.index }, "", url);
  show();
}

function show() {
  const s = step();
  visit(lessonId, view.index, { complete: !s.task });
  drawStep();
  frame.open(s.url);
  $("lesson-step").focus({ preventScroll: true });
}

function next() {
  if (view.index + 1 < view.lesson.steps.length) go(view.index + 1);
  else location.href = view.lesson.next ? `/lessons/${view.lesson.next}` : "/lessons";
}

function back() {
  if (view.index > 0) go(view.index - 1);
  else if (view.lesson.previous) location.href = `/lessons/${view.lesson.previous}`;
}

async function showMe() {
  const s = step();
  if (!s.task || view.showing) return;
  view.showing = true;
  $("show-me").disabled = true;
  const prediction = s.task.prediction;
  if (prediction && !view.revealed) {
    // the solution of a prediction is the right answer, then the run that shows it
    const input = $("prediction-choices").querySelector(`input[value="${prediction.answer}"]`);
    input.checked = true;
    view.picked = prediction.answer;
  }
  status("Setting it up and running it for you…");
  try {
    await frame.openAndRun(s.show_me.url, s.page, s.task.result);
    if (!view.met) status("Running… the check follows the run.");
  } catch (error) {
    if (error.message !== "superseded") status(`“Show me” could not finish: ${error.message}`);
  } finally {
    view.showing = false;
    $("show-me").disabled = false;
  }
}

function stepFromUrl() {
  const n = Number(new URLSearchParams(location.search).get("step"));
  return Number.isInteger(n) && n >= 1 ? n - 1 : 0;
}

function bind() {
  $("next-step").addEventListener("click", next);
  $("prev-step").addEventListener("click", back);
  $("show-me").addEventListener("click", showMe);
  $("panel-toggle").addEventListener("click", () => {
    // on a phone the text can fold away, leaving the task and the page
    const text = $("step-text");
    text.hidden = !text.hidden;
    $("panel-toggle").setAttribute("aria-expanded", String(!text.hidden));
    $("panel-toggle").textContent = text.hidden ? "Show text" : "Hide text";
  });
  window.addEventListener("popstate", () => {
    view.index = Math.min(stepFromUrl(), view.lesson.steps.length - 1);
    show();
  });
}

async function init() {
  try {
    view.lesson = await getJSON(`/api/lessons/${encodeURIComponent(lessonId)}`);
  } catch (error) {
    alertBox(`The lesson could not be loaded: ${error.message}`);
    $("step-title").textContent = "This lesson could not be loaded.";
    return;
  }
  $("lesson-number").textContent = `· lesson ${view.lesson.number} of ${view.lesson.of}`;
  $("lesson-step").tabIndex = -1;
  bind();
  const wanted = stepFromUrl();
  if (wanted >= view.lesson.steps.length)
    alertBox(`This lesson has ${view.lesson.steps.length} steps; here is the last.`);
  go(wanted, { replace: true });
  root.dataset.ready = "1";
}

init();
