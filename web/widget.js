/*
 * HSG assistant chat widget: a small, dependency-light client of Rasa's socket.io channel.
 * Needs socket.io-client (vendor/socket.io.min.js). Options on its <script> tag:
 *   data-server   Rasa's address (default: same host, port 5005)
 *   data-language "vi" or "en" (default: the page's <html lang>, then the browser's language)
 *   data-token-url where the hospital's site issues a short-lived chat token (JSON {"token": ...}),
 *                 fetched at every (re)connection; only when Rasa requires tokens (SOCKETIO_JWT_KEY)
 * Every text is put in the page with textContent: nothing a user or the bot sends is HTML.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var server = (script && script.dataset.server) ||
    (location.protocol + "//" + (location.hostname || "localhost") + ":5005");
  var tokenUrl = script && script.dataset.tokenUrl;
  var KEY = "hsg-chat:";
  // the hospital's hotline from hospital.js (data/hospital.yml), if the page loads it
  function hotline(lang) {
    var h = window.HSG_HOSPITAL;
    return (h && h[lang] && h[lang].hotline) || (lang === "en" ? "the hospital's hotline" : "hotline của bệnh viện");
  }
  var UI = {
    vi: { open: "Mở hộp chat hỏi đáp về HSG", close: "Đóng hộp chat", title: "Hỏi đáp về chụp HSG",
          input: "Nhập câu hỏi của chị", send: "Gửi", typing: "Trợ lý đang trả lời…",
          placeholder: "Nhập câu hỏi…", offline: "Mất kết nối. Chị có thể gọi " + hotline("vi") + ".",
          language: "Ngôn ngữ", log: "Tin nhắn", feedback: "Câu trả lời có hữu ích không?",
          forget: "Xóa dữ liệu của tôi" },
    en: { open: "Open the HSG questions chat", close: "Close the chat", title: "HSG questions",
          input: "Type your question", send: "Send", typing: "The assistant is typing…",
          placeholder: "Type your question…", offline: "Connection lost. You can call " + hotline("en") + ".",
          language: "Language", log: "Messages", feedback: "Did this answer help?",
          forget: "Delete my data" }
  };

  function stored(name, fallback) {
    try { var v = localStorage.getItem(KEY + name); return v === null ? fallback : JSON.parse(v); }
    catch (e) { return fallback; }
  }
  function store(name, value) {
    try { localStorage.setItem(KEY + name, JSON.stringify(value)); } catch (e) { /* private mode */ }
  }
  function initialLanguage() {
    var wanted = (script && script.dataset.language) || document.documentElement.lang || navigator.language || "vi";
    return wanted.toLowerCase().indexOf("en") === 0 ? "en" : "vi";
  }

  var state = {
    language: stored("language", initialLanguage()),
    history: stored("history", []),
    session: stored("session", null),
    open: stored("open", false)
  };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ----- the DOM -----
  var root = el("div", { class: "hsg-chat" });
  var launcher = el("button", { class: "hsg-launcher", type: "button", "aria-expanded": "false" });
  // a decorative 24x24 icon of one filled path (the button's label names it)
  function icon(d) {
    var NS = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(NS, "path");
    path.setAttribute("d", d);
    path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }
  launcher.appendChild(icon("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"));
  var panel = el("section", { class: "hsg-panel", role: "dialog", "aria-modal": "false", hidden: "" });
  // a div, not <header>: axe-core counted a header in the dialog as a second banner landmark
  var header = el("div", { class: "hsg-header" });
  var title = el("h2", { class: "hsg-title", id: "hsg-title" });
  var switcher = el("div", { class: "hsg-lang", role: "group" });
  var buttonsByLang = {};
  ["vi", "en"].forEach(function (code) {
    var b = el("button", { type: "button", lang: code, "data-lang": code }, code.toUpperCase());
    b.addEventListener("click", function () { setLanguage(code); });
    buttonsByLang[code] = b;
    switcher.appendChild(b);
  });
  // "delete my data": the bot asks to confirm, then deletes the conversation (issue 13)
  var forgetButton = el("button", { class: "hsg-forget", type: "button" });
  forgetButton.appendChild(icon("M9 3h6l1 2h4v2H4V5h4l1-2zM6 9h12l-1 12H7L6 9z"));
  var closeButton = el("button", { class: "hsg-close", type: "button" }, "×");
  var log = el("div", { class: "hsg-log", role: "log", "aria-live": "polite", tabindex: "0" });
  var typing = el("p", { class: "hsg-typing", hidden: "", "aria-live": "polite" });
  var form = el("form", { class: "hsg-form" });
  var label = el("label", { for: "hsg-input", class: "hsg-visually-hidden" });
  var input = el("input", { id: "hsg-input", type: "text", autocomplete: "off", maxlength: "1000" });
  var send = el("button", { type: "submit", class: "hsg-send" });
  panel.setAttribute("aria-labelledby", "hsg-title");
  header.append(title, switcher, forgetButton, closeButton);
  form.append(label, input, send);
  panel.append(header, log, typing, form);
  root.append(panel, launcher);

  function applyLanguage() {
    var t = UI[state.language];
    launcher.setAttribute("aria-label", t.open);
    closeButton.setAttribute("aria-label", t.close);
    forgetButton.setAttribute("aria-label", t.forget);
    forgetButton.setAttribute("title", t.forget);
    title.textContent = t.title;
    switcher.setAttribute("aria-label", t.language);
    log.setAttribute("aria-label", t.log);
    label.textContent = t.input;
    input.placeholder = t.placeholder;
    send.textContent = t.send;
    typing.textContent = t.typing;
    Object.keys(buttonsByLang).forEach(function (code) {
      buttonsByLang[code].setAttribute("aria-pressed", String(code === state.language));
    });
  }

  // ----- messages -----
  function isFeedback(b) { return /^\/feedback_/.test(b.payload || ""); }
  function render(entry) {
    var row = el("div", { class: "hsg-msg hsg-" + entry.from });
    row.appendChild(el("p", { class: "hsg-bubble" }, entry.text || ""));
    var buttons = entry.buttons || [];
    // "Did this help?": the answer's feedback buttons become a pair of thumbs (their title is
    // the accessible name); the others stay quick replies.
    var topics = buttons.filter(function (b) { return !isFeedback(b); });
    var thumbs = buttons.filter(isFeedback);
    if (topics.length) {
      var group = el("div", { class: "hsg-buttons", role: "group" });
      topics.forEach(function (b) {
        var button = el("button", { type: "button", class: "hsg-quick" }, b.title);
        button.addEventListener("click", function () { sendMessage(b.payload, b.title); });
        group.appendChild(button);
      });
      row.appendChild(group);
    }
    if (thumbs.length) {
      var pair = el("div", { class: "hsg-feedback", role: "group", "aria-label": UI[state.language].feedback });
      thumbs.forEach(function (b) {
        var up = b.payload === "/feedback_helpful";
        var thumb = el("button", { type: "button", class: "hsg-thumb", "aria-label": b.title,
                                   title: b.title, "aria-pressed": "false" }, up ? "\uD83D\uDC4D" : "\uD83D\uDC4E");
        thumb.addEventListener("click", function () {
          Array.prototype.forEach.call(pair.querySelectorAll("button"), function (other) { other.disabled = true; });
          thumb.setAttribute("aria-pressed", "true");
          sendMessage(b.payload, b.title);
        });
        pair.appendChild(thumb);
      });
      row.appendChild(pair);
    }
    log.appendChild(row);
    scrollToLatest();
  }
  function scrollToLatest() { log.scrollTop = log.scrollHeight; }
  // The conversation was deleted on the server: the copy kept in this browser goes too, and the
  // next message starts a new conversation.
  function forgetHistory() {
    state.history = [];
    store("history", []);
    state.session = null;
    store("session", null);
    while (log.firstChild) log.removeChild(log.firstChild);
  }
  function remember(entry) {
    state.history.push(entry);
    state.history = state.history.slice(-200);
    store("history", state.history);
    render(entry);
  }

  var socket = null;
  var typingTimer = null;
  function showTyping(on) {
    typing.hidden = !on;
    clearTimeout(typingTimer);
    if (on) typingTimer = setTimeout(function () { typing.hidden = true; }, 15000);
  }

  function sendMessage(message, shown) {
    if (!message || !message.trim()) return;
    remember({ from: "user", text: shown || message });
    if (!socket || !socket.connected) { remember({ from: "bot", text: UI[state.language].offline }); return; }
    showTyping(true);
    socket.emit("user_uttered", { message: message, session_id: state.session,
                                  metadata: { language: state.language } });
  }

  function connect() {
    if (socket || typeof io === "undefined") return;
    var options = { path: "/socket.io", transports: ["websocket"], reconnection: true };
    if (tokenUrl) {
      options.auth = function (send) {
        fetch(tokenUrl, { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (j) { send({ token: j.token }); }, function () { send({}); });
      };
    }
    socket = io(server, options);
    socket.on("connect", function () {
      socket.emit("session_request", { session_id: state.session });
    });
    socket.on("session_confirm", function (data) {
      var id = typeof data === "string" ? data : (data && data.session_id);
      var fresh = !state.session;
      state.session = id;
      store("session", id);
      if (fresh && state.history.length === 0) {  // the greeting, with the disclaimer
        showTyping(true);
        socket.emit("user_uttered", { message: "/greet", session_id: id, metadata: { language: state.language } });
      }
    });
    socket.on("bot_uttered", function (data) {
      showTyping(false);
      if (data && data.hsg === "forgotten") {
        forgetHistory();
        socket.emit("session_request", { session_id: null });
        return;
      }
      var buttons = (data.quick_replies || data.buttons || []).map(function (b) {
        return { title: String(b.title), payload: String(b.payload) };
      });
      remember({ from: "bot", text: data.text === undefined ? "" : String(data.text), buttons: buttons });
    });
  }

  function setOpen(open) {
    state.open = open;
    store("open", open);
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    // the latest message in view: while the panel was hidden the log had no height to scroll
    if (open) { scrollToLatest(); connect(); input.focus(); } else { launcher.focus(); }
  }
  function setLanguage(code) {
    state.language = code;
    store("language", code);
    applyLanguage();
  }

  launcher.addEventListener("click", function () { setOpen(panel.hidden); });
  closeButton.addEventListener("click", function () { setOpen(false); });
  forgetButton.addEventListener("click", function () { sendMessage("/forget_me", UI[state.language].forget); });
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") setOpen(false); });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value;
    input.value = "";
    sendMessage(text);
  });

  applyLanguage();
  state.history.forEach(render);
  document.body.appendChild(root);
  if (state.open) setOpen(true);
})();
