// Copy buttons: <button class="copy-button" data-copy="text"> copies its text,
// <button class="copy-button" data-copy-from="#id"> the text of that element.
// navigator.clipboard exists only in secure contexts (https, localhost,
// 127.0.0.1); on a plain-http LAN address the text is selected and copied with
// execCommand instead. Clicks are handled on the document, so buttons drawn
// later (the records a DNS check redraws) work too.
(function () {
  document.documentElement.classList.add("can-copy");

  let status; // one live region, so screen readers hear "Copied" too
  function announce(text) {
    if (!status) {
      status = document.createElement("span");
      status.className = "visually-hidden";
      status.setAttribute("aria-live", "polite");
      document.body.appendChild(status);
    }
    status.textContent = text;
  }

  function textOf(button) {
    if (button.dataset.copyFrom) {
      const source = document.querySelector(button.dataset.copyFrom);
      return source ? source.textContent.trim() : "";
    }
    return button.dataset.copy || "";
  }

  function copyBySelecting(text) {
    const holder = document.createElement("pre");
    holder.textContent = text;
    holder.style.cssText = "position:fixed;left:-9999px;top:0;white-space:pre;";
    document.body.appendChild(holder);
    const selection = document.getSelection();
    const range = document.createRange();
    range.selectNodeContents(holder);
    selection.removeAllRanges();
    selection.addRange(range);
    let copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    selection.removeAllRanges();
    holder.remove();
    return copied;
  }

  async function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch (error) {
        // Permission refused: the older way may still be allowed.
      }
    }
    return copyBySelecting(text);
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest(".copy-button");
    if (!button) return;
    if (!button.dataset.label) button.dataset.label = button.textContent;
    const copied = await copy(textOf(button));
    const said = copied ? "Copied" : "Copy failed";
    button.textContent = said;
    announce(said);
    clearTimeout(button.copyTimer);
    button.copyTimer = setTimeout(() => {
      button.textContent = button.dataset.label;
    }, 1500);
  });
})();
