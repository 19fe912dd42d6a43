// hansearch: "/" to search, and matching titles as you type. The pages work without it.
(function () {
  "use strict";
  var box = document.getElementById("q");
  if (!box) return;
  var form = box.form;
  var list = document.createElement("ul");
  list.id = "suggestions";
  list.className = "suggestions";
  list.hidden = true;
  list.setAttribute("aria-label", "Matching titles");
  form.appendChild(list);
  box.setAttribute("aria-controls", list.id);
  var timer = 0;
  var asked = box.value.trim();
  var pending = null;

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  function hide() {
    list.hidden = true;
  }
  function links() {
    return Array.prototype.slice.call(list.querySelectorAll("a"));
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(document.activeElement)) return;
    event.preventDefault();
    box.focus();
    box.select();
  });

  box.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(suggest, 200);
  });
  box.addEventListener("keydown", function (event) {
    if (event.key === "Escape") hide();
    if (event.key === "ArrowDown" && !list.hidden && links().length) {
      event.preventDefault();
      links()[0].focus();
    }
  });
  list.addEventListener("keydown", function (event) {
    var all = links();
    var at = all.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && at < all.length - 1) all[at + 1].focus();
    else if (event.key === "ArrowUp") (at > 0 ? all[at - 1] : box).focus();
    else if (event.key === "Escape") box.focus();
    else return;
    if (event.key === "Escape") hide();
    event.preventDefault();
  });
  document.addEventListener("click", function (event) {
    if (!form.contains(event.target)) hide();
  });
  form.addEventListener("submit", hide);

  function suggest() {
    var q = box.value.trim();
    if (!q || q === asked) {
      hide();
      return;
    }
    if (pending) pending.abort();
    pending = new AbortController();
    fetch("/api/search?size=6&q=" + encodeURIComponent(q), {
      signal: pending.signal,
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (answer) {
        show(q, answer);
      })
      .catch(function () {});
  }

  function show(q, answer) {
    list.textContent = "";
    if (!answer || !answer.results.length || box.value.trim() !== q) {
      hide();
      return;
    }
    answer.results.forEach(function (hit) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "/doc?id=" + encodeURIComponent(hit.id) + "&q=" + encodeURIComponent(q);
      link.textContent = hit.title || hit.id;
      link.lang = hit.lang;
      item.appendChild(link);
      list.appendChild(item);
    });
    list.hidden = document.activeElement !== box && !list.contains(document.activeElement);
  }
})();
