// A running import's page: fetch its progress panel every 2 seconds and put it in place; once
// the job has finished, reload the page to show its problems. Without this, reload the page.
"use strict";
(function () {
  var panel = document.getElementById("progress");
  if (!panel || !panel.dataset.poll) { return; }
  var url = panel.dataset.poll;
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (answer) {
        if (!answer.ok) { throw new Error(String(answer.status)); }
        return answer.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("progress");
        if (!fresh) { return; }
        if (!fresh.dataset.poll) { window.location.reload(); return; }
        panel.replaceWith(fresh);
        panel = fresh;
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 10000); });
  }
  window.setTimeout(poll, 2000);
})();
