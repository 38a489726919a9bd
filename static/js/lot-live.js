/* Live lot panel: polls the lot's JSON every 2 s for the top bid, counts down to the close on the
   server's clock, and sends bids without reloading the page. Without it the forms still work. */
(function () {
  "use strict";
  var panel = document.getElementById("live-panel");
  if (!panel) { return; }
  var POLL_MS = 2000;
  var state = {
    closesAt: panel.dataset.closesAt ? Date.parse(panel.dataset.closesAt) : null,
    status: panel.dataset.status,
    // Server clock minus this browser's: the countdown follows the server.
    skew: Date.parse(panel.dataset.serverTime) - Date.now(),
    lastCount: null
  };
  var $ = function (id) { return document.getElementById(id); };
  var money = function (text) {
    if (text === null || text === undefined) { return "—"; }
    var parts = String(text).split(".");
    var number = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + (parts[1] || "00");
    // The interface's one money format (marketplace/money.py format_yuan): 1,200.00元 / CNY 1,200.00.
    return (document.documentElement.lang || "").indexOf("zh") === 0 ? number + "元"
      : "CNY\u00a0" + number;
  };

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function tick() {
    var el = $("countdown");
    if (!el) { return; }
    if (state.status !== "bidding" && state.status !== "registration") {
      el.textContent = panel.dataset.labelClosed;
      return;
    }
    if (!state.closesAt) { el.textContent = "—"; return; }
    var left = Math.max(0, Math.floor((state.closesAt - (Date.now() + state.skew)) / 1000));
    var days = Math.floor(left / 86400);
    var rest = left % 86400;
    var text = pad(Math.floor(rest / 3600)) + ":" + pad(Math.floor((rest % 3600) / 60)) + ":" +
      pad(rest % 60);
    el.textContent = (days ? days + panel.dataset.labelDays + " " : "") + text;
  }

  var TZ = { timeZone: "Asia/Shanghai", hour12: false };

  // The bid book: rebuilt from the API when the number of bids changes (numbers, never names).
  function refreshBids() {
    var body = $("bids-body");
    if (!body || !panel.dataset.bidsUrl) { return; }
    fetch(panel.dataset.bidsUrl, { headers: { Accept: "application/json" },
                                   credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.items.length) { return; }
        body.textContent = "";
        data.items.forEach(function (bid) {
          var row = document.createElement("tr");
          [String(bid.bidder_number), money(bid.amount),
           new Date(bid.placed_at).toLocaleTimeString("zh-CN", TZ)].forEach(function (text, i) {
            var cell = document.createElement("td");
            cell.textContent = text;
            if (i > 0) { cell.className = i === 1 ? "text-end text-nowrap" : "text-nowrap"; }
            row.appendChild(cell);
          });
          body.appendChild(row);
        });
      })
      .catch(function () { /* the next change retries */ });
  }

  function render(data) {
    state.status = data.status;
    state.closesAt = data.closes_at ? Date.parse(data.closes_at) : null;
    state.skew = Date.parse(data.server_time) - Date.now();
    $("top-amount").textContent = money(data.top_amount);
    $("top-number").textContent = data.top_bidder_number || "—";
    $("bid-count").textContent = data.bid_count;
    if ($("next-amount")) { $("next-amount").textContent = data.next_amount; }
    if ($("closes-at") && data.closes_at) {
      $("closes-at").textContent = new Date(data.closes_at).toLocaleString("zh-CN", TZ);
    }
    var mine = $("my-state");
    if (mine && data.top_amount) {
      mine.textContent = data.i_am_top ? panel.dataset.labelTop : panel.dataset.labelOutbid;
      mine.className = data.i_am_top ? "text-success" : "text-danger";
      mine.dataset.top = data.i_am_top ? "1" : "0";
    }
    var amount = $("amount");
    if (state.lastCount !== data.bid_count) {
      if (amount && document.activeElement !== amount) { amount.value = data.next_amount; }
      if (state.lastCount !== null) { refreshBids(); }
    }
    state.lastCount = data.bid_count;
    panel.dataset.status = data.status;
    tick();
  }

  function poll() {
    fetch(panel.dataset.liveUrl, { headers: { Accept: "application/json" },
                                   credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { render(data); } })
      .catch(function () { /* the next poll retries */ });
  }

  var form = $("bid-form");
  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var message = $("bid-message");
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      fetch(panel.dataset.bidUrl, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { Accept: "application/json" }
      }).then(function (r) {
        return r.json().then(function (body) { return { ok: r.ok, body: body }; });
      }).then(function (result) {
        if (result.ok) {
          message.textContent = panel.dataset.labelAccepted;
          message.className = "small mt-2 text-success";
          render(result.body);
        } else {
          var error = result.body.error || {};
          var fields = error.fields || {};
          message.textContent = fields.amount || error.message || "";
          message.className = "small mt-2 text-danger";
          poll();
        }
      }).catch(function () { form.submit(); })
        .finally(function () { button.disabled = false; });
    });
  }

  tick();
  setInterval(tick, 1000);
  setInterval(poll, POLL_MS);
  poll();
})();
