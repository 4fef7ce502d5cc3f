// Shared by every page: writes from a page's script carry the session's CSRF token.
(function () {
  const meta = document.querySelector('meta[name="csrf-token"]');
  window.jinnang = {
    csrf: meta ? meta.content : "",
    // fetch() with the CSRF header and JSON body; resolves to the parsed answer or throws its message
    async send(method, url, body) {
      const options = { method, headers: { "X-CSRF-Token": this.csrf, "Accept": "application/json" } };
      if (body instanceof FormData) { options.body = body; }
      else if (body !== undefined) { options.body = JSON.stringify(body); options.headers["Content-Type"] = "application/json"; }
      const response = await fetch(url, options);
      const data = await response.json().catch(() => ({}));
      if (!response.ok) { throw new Error(data.message || response.statusText); }
      return data;
    },
  };
})();
