// A recipient list's page: while a file is being imported, poll the list's progress
// every second and redraw its counts, uploads (their progress bars), upload form and
// addresses, without reloading; stop once no import is queued or running.
(function () {
  const root = document.getElementById("recipient-list");
  if (!root) return;
  // The page's own search and page number, so the addresses redrawn are those shown.
  const url = root.dataset.progressUrl + window.location.search;
  const parts = {
    counts: "list-counts",
    imports: "list-imports",
    upload: "list-upload",
    addresses: "list-addresses",
  };
  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => {
        // A redirect here is the sign-in page: stop rather than draw it in.
        if (!response.ok || response.redirected) return Promise.reject(response.status);
        return response.json();
      })
      .then((data) => {
        Object.entries(parts).forEach(([name, id]) => {
          const element = document.getElementById(id);
          if (element && typeof data.html[name] === "string") element.innerHTML = data.html[name];
        });
        root.dataset.running = data.running ? "true" : "false";
        if (data.running) setTimeout(poll, 1000);
      })
      .catch(() => setTimeout(poll, 5000));
  }
  if (root.dataset.running === "true") setTimeout(poll, 1000);
})();
