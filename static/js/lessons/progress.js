// The learner's progress, kept in this browser (localStorage): for each lesson,
// the steps completed (visited, and their task done if they have one) and the
// step last opened. A browser that keeps nothing (private mode, storage full)
// still works; it just forgets.

const KEY = "gradient-hiker.lessons";

function read() {
  try {
    const data = JSON.parse(localStorage.getItem(KEY) || "{}");
    return data && typeof data === "object" && !Array.isArray(data) ? data : {};
  } catch {
    return {};
  }
}

function write(data) {
  try {
    localStorage.setItem(KEY, JSON.stringify(data));
  } catch {
    // storage refused: progress is not kept, the lesson goes on
  }
}

/** {complete: [step indices], last: index} for a lesson (empty if never opened). */
export function progressOf(lessonId) {
  const entry = read()[lessonId] || {};
  const complete = Array.isArray(entry.complete) ? entry.complete.filter(Number.isInteger) : [];
  return { complete, last: Number.isInteger(entry.last) ? entry.last : null };
}

function update(lessonId, change) {
  const data = read();
  const entry = progressOf(lessonId);
  change(entry);
  data[lessonId] = { complete: [...new Set(entry.complete)].sort((a, b) => a - b), last: entry.last };
  write(data);
}

/** Step `index` was opened (and is complete if it has no task). */
export function visit(lessonId, index, { complete }) {
  update(lessonId, (entry) => {
    entry.last = index;
    if (complete) entry.complete.push(index);
  });
}

/** The task of step `index` was done. */
export function completeStep(lessonId, index) {
  update(lessonId, (entry) => entry.complete.push(index));
}

export function forgetAll() {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // nothing kept anyway
  }
}
