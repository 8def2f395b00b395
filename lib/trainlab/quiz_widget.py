"""The quiz's answer control: an accessible radio group or text box with a Check button (anywidget).

ipywidgets' RadioButtons gives each radio a tab stop of its own and no group label, so the quiz
draws its controls itself: per question one ``role="radiogroup"`` labelled by the question, whose
radios share a name (one tab stop, arrow keys move, each radio named by its option's text), or a
text box labelled by the question; Enter or Check sends the answer to the kernel. Keys pressed
there are the quiz's: JupyterLab's shortcuts (``a`` inserts a cell, arrows move between cells) are off.
"""

import anywidget
import traitlets

ESM = """
function render({ model, el }) {
  const group = `trainlab-${Math.random().toString(36).slice(2)}`;
  const row = document.createElement("div");
  row.className = "trainlab-answer-row";
  // keys go to the quiz, not to JupyterLab's shortcuts and the notebook's arrow-key handling
  row.setAttribute("data-lm-suppress-shortcuts", "true");
  row.addEventListener("keydown", (event) => event.stopPropagation());
  const check = () => model.send({ event: "check" });
  const onEnter = (event) => { if (event.key === "Enter") { event.preventDefault(); check(); } };
  let inputs = [];
  if (model.get("kind") === "choice") {
    const radios = document.createElement("div");
    radios.setAttribute("role", "radiogroup");
    radios.setAttribute("aria-labelledby", model.get("prompt_id"));
    radios.className = "trainlab-radios";
    model.get("options").forEach((letter, i) => {
      const label = document.createElement("label");
      const input = document.createElement("input");
      Object.assign(input, { type: "radio", name: group, value: letter });
      input.setAttribute("aria-labelledby", model.get("option_ids")[i]);
      input.addEventListener("change", () => { model.set("value", letter); model.save_changes(); });
      input.addEventListener("keydown", onEnter);
      label.append(input, ` ${letter}`);
      radios.append(label);
      inputs.push(input);
    });
    row.append(radios);
  } else {
    const input = document.createElement("input");
    Object.assign(input, { type: "text", placeholder: model.get("placeholder"), className: "trainlab-text" });
    input.setAttribute("aria-labelledby", model.get("prompt_id"));
    input.addEventListener("input", () => { model.set("value", input.value); model.save_changes(); });
    input.addEventListener("keydown", onEnter);
    row.append(input);
    inputs.push(input);
  }
  const button = document.createElement("button");
  Object.assign(button, { type: "button", textContent: "Check", className: "jupyter-button trainlab-check" });
  button.addEventListener("click", check);
  row.append(button);
  const show = () => {
    const value = model.get("value");
    for (const input of inputs) {
      if (input.type === "radio") input.checked = input.value === value;
      else if (input.value !== (value ?? "")) input.value = value ?? "";
    }
  };
  model.on("change:value", show);
  show();
  el.append(row);
  return () => model.off("change:value", show);
}
export default { render };
"""

CSS = """
.trainlab-answer-row { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 14px; margin: 4px 0; }
.trainlab-radios { display: flex; flex-wrap: wrap; gap: 4px 14px; }
.trainlab-radios label { color: var(--jp-content-font-color1); font-size: var(--jp-content-font-size1); }
.trainlab-text { background: var(--jp-input-background, var(--jp-layout-color1)); color: var(--jp-content-font-color1);
  border: var(--jp-border-width) solid var(--jp-border-color1); padding: 3px 6px; min-width: 12em; }
.trainlab-check:focus-visible, .trainlab-text:focus-visible, .trainlab-radios input:focus-visible {
  outline: 3px solid var(--jp-brand-color1) !important; outline-offset: 2px; }
"""


class Answer(anywidget.AnyWidget):
    """One question's input: ``value`` is the letter or the text typed (None before any);
    ``on_check(callback)`` calls ``callback()`` when the student presses Check or Enter."""

    _esm = traitlets.Unicode(ESM).tag(sync=True)
    _css = traitlets.Unicode(CSS).tag(sync=True)
    kind = traitlets.Unicode().tag(sync=True)  # "choice", "numeric" or "text"
    options = traitlets.List(traitlets.Unicode()).tag(sync=True)  # the letters of a choice
    option_ids = traitlets.List(traitlets.Unicode()).tag(sync=True)  # ids of the options' texts, their labels
    prompt_id = traitlets.Unicode().tag(sync=True)  # id of the question's text: the control's label
    placeholder = traitlets.Unicode().tag(sync=True)
    value = traitlets.Unicode(None, allow_none=True).tag(sync=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._callbacks = []
        self.on_msg(lambda _, content, buffers: content.get("event") == "check" and self.check())

    def on_check(self, callback):
        self._callbacks.append(callback)

    def check(self):
        """What the front end's Check button and Enter do."""
        for callback in self._callbacks:
            callback()
