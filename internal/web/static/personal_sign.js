// Personal signatures with a USB token: the page asks edms agent (signagent.js) for
// the token's certificate, has the server prepare the signature for it, lets the agent
// sign the digest after the official types the token PIN in the agent's own window,
// and hands the value back to the server, which embeds and checks it.
(function () {
  "use strict";

  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {})
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (!resp.ok) {
          var e = (data && data.error) || {};
          throw Object.assign(new Error(e.message || "Máy chủ không thực hiện được yêu cầu."), { code: e.code || "server" });
        }
        return data;
      });
    });
  }

  function field(form, name) {
    var el = form.querySelector("[name=" + name + "]");
    return el ? el.value : "";
  }

  function signWithAgent(form, status, button) {
    var csrf = form.getAttribute("data-csrf");
    var pending = null;
    var say = function (text, error) {
      status.textContent = text;
      status.classList.toggle("error", !!error);
    };
    button.disabled = true;
    // The agent's window opens now, with the click: popup blockers refuse it later.
    window.EdmsAgent.openWindow();
    say("Đang tìm edms agent trên máy này…");
    window.EdmsAgent.find()
      .then(function () { say("Đang đọc chứng thư số trên USB token…"); return window.EdmsAgent.certificate(); })
      .then(function (cert) {
        say("Đang chuẩn bị văn bản để ký với chứng thư " + cert.subject + "…");
        return post(form.getAttribute("data-prepare"), csrf, {
          device: "agent", certificate: cert.certificate, chain: cert.chain || [],
          competence: field(form, "competence"), position: field(form, "position"), note: field(form, "note")
        });
      })
      .then(function (p) {
        pending = p;
        say("Hãy xác nhận và nhập mã PIN của USB token trong cửa sổ edms agent vừa mở.");
        return window.EdmsAgent.sign({ digest: p.digest, hash: p.hash, document: p.label, expires: p.expires });
      })
      .then(function (signed) {
        say("Đang gắn chữ ký vào văn bản…");
        return post("/signatures/" + pending.id + "/complete", csrf, { signature: signed.signature });
      })
      .then(function (done) { window.location.assign(done.redirect); })
      .catch(function (err) {
        window.EdmsAgent.closeWindow();
        if (pending) { // the attempt the device refused: the document stays as it was
          fetch("/signatures/" + pending.id + "/abandon", { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf } })
            .catch(function () {});
        }
        var text = err && err.message ? err.message : "Không ký được bằng USB token.";
        if (err && err.code === "agent_missing") {
          text = "Không tìm thấy edms agent trên máy này. Hãy cài và chạy edms agent (xem hướng dẫn), rồi thử lại.";
        }
        say(text + " Văn bản không thay đổi.", true);
        button.disabled = false;
      });
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.classList || !form.classList.contains("sign-agent")) {
      return;
    }
    ev.preventDefault();
    var status = form.querySelector(".sign-status");
    var button = form.querySelector("button[type=submit]");
    if (!window.EdmsAgent) {
      status.textContent = "Trang chưa tải xong thành phần ký bằng USB token; hãy tải lại trang.";
      return;
    }
    signWithAgent(form, status, button);
  });
})();
