// EdmsAgent: the page's side of `edms agent`, the signing software on the person's own
// computer (http://127.0.0.1:8917, or the script tag's data-agent-url, or EdmsAgent.url).
//   EdmsAgent.find()        → Promise<{version, token: {present, label}}>
//   EdmsAgent.certificate() → Promise<{certificate, chain, subject}> (base64 DER)
//   EdmsAgent.sign({digest, hash, document, expires}) → Promise<{signature}> (base64):
//     opens the agent's confirm page in a popup (the PIN is typed there, never here)
//     and asks the agent every 500 ms until the person has signed or refused.
//   EdmsAgent.openWindow()  → opens the confirm window at once. Call it synchronously in
//     the click that starts signing when other requests come before sign() (popup
//     blockers only let a window open shortly after a click); sign() then uses it.
//   EdmsAgent.closeWindow() → closes that window when the flow stops before sign()
//     (find() and certificate() close it themselves when they fail).
// Each promise rejects with an Error whose .code is the agent's code ("agent_missing"
// when nothing answers) and whose .message is Vietnamese text to show as is.
(function () {
  "use strict";
  var script = document.currentScript;
  var POLL_MS = 500;
  var WINDOW_NAME = "edms-agent-confirm";
  var openedWindow = null; // opened by openWindow(), waiting for sign()
  var MESSAGES = {
    agent_missing: "Không tìm thấy phần mềm ký số edms agent trên máy này. Hãy cài đặt và chạy `edms agent`.",
    token_absent: "Chưa cắm USB token ký số.",
    wrong_pin: "Mã PIN không đúng.",
    pin_locked: "USB token đã bị khóa vì nhập sai mã PIN quá số lần cho phép.",
    cancelled: "Bạn đã hủy ký.",
    expired: "Yêu cầu ký đã hết hạn; hãy ký lại.",
    origin_not_paired: "Máy này chưa ghép nối với edms: chạy `edms agent pair <địa chỉ edms>`.",
    popup_blocked: "Trình duyệt đã chặn cửa sổ xác nhận ký. Hãy cho phép cửa sổ bật lên cho trang này rồi ký lại.",
    bad_request: "Phần mềm ký số không nhận yêu cầu này."
  };

  function agentError(code, message) {
    var err = new Error(message || MESSAGES[code] || MESSAGES.bad_request);
    err.code = code;
    return err;
  }

  function base() {
    return String(EdmsAgent.url).replace(/\/+$/, "");
  }

  // A refused origin gets no CORS headers, so its fetch fails just as if nothing
  // answered; an opaque (no-cors) request tells the two apart.
  function unreachable() {
    return fetch(base() + "/v1/status", { mode: "no-cors", cache: "no-store", credentials: "omit" }).then(
      function () { throw agentError("origin_not_paired"); },
      function () { throw agentError("agent_missing"); }
    );
  }

  function call(method, path, body) {
    var init = { method: method, cache: "no-store", credentials: "omit" };
    if (body) {
      init.headers = { "Content-Type": "application/json" };
      init.body = JSON.stringify(body);
    }
    return fetch(base() + path, init).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (!resp.ok) {
          throw agentError(data.error || "bad_request", data.message);
        }
        return data;
      });
    }, unreachable);
  }

  // ask is call for find() and certificate(): a failure ends the flow, so the
  // window opened for it closes.
  function ask(path) {
    return call("GET", path).catch(function (err) {
      closeWindow();
      throw err;
    });
  }

  function openWindow() {
    var popup = window.open("", WINDOW_NAME, "popup,width=560,height=680");
    try {
      if (popup && popup.location.href === "about:blank") {
        popup.document.title = "edms agent";
        popup.document.body.textContent = "Đang chuẩn bị yêu cầu ký…";
      }
    } catch (e) {
      // the window already shows the agent's page
    }
    openedWindow = popup;
    return popup;
  }

  function closeWindow() {
    if (openedWindow) {
      closePopup(openedWindow);
      openedWindow = null;
    }
  }

  function closePopup(popup) {
    try {
      popup.close();
    } catch (e) {
      // the popup was already closed or is no longer ours
    }
  }

  // poll asks the agent about request id until it leaves "waiting". A popup the
  // person closes without answering counts as cancelled; a popup the browser
  // detached from this page (closed from the start) is ignored.
  function poll(id, popup) {
    var seenOpen = false;
    return new Promise(function (resolve, reject) {
      function tick() {
        var closedByPerson = seenOpen && popup.closed;
        seenOpen = seenOpen || !popup.closed;
        call("GET", "/v1/sign/" + encodeURIComponent(id)).then(function (st) {
          if (st.state === "waiting" && !closedByPerson) {
            setTimeout(tick, POLL_MS);
            return;
          }
          closePopup(popup);
          if (st.state === "signed") {
            resolve({ signature: st.signature });
          } else if (st.state === "waiting") {
            reject(agentError("cancelled"));
          } else {
            reject(agentError(st.error || st.state, st.message));
          }
        }, function (err) {
          closePopup(popup);
          reject(err);
        });
      }
      tick();
    });
  }

  var EdmsAgent = {
    url: (script && script.getAttribute("data-agent-url")) || "http://127.0.0.1:8917",
    find: function () {
      return ask("/v1/status");
    },
    certificate: function () {
      return ask("/v1/certificate");
    },
    openWindow: function () {
      openWindow();
    },
    closeWindow: closeWindow,
    sign: function (req) {
      // Opened before the request, while the click that asked for it may still
      // count for popup blockers; the confirm page is loaded into it below.
      var popup = openedWindow && !openedWindow.closed ? openedWindow : openWindow();
      openedWindow = null;
      if (!popup) {
        return Promise.reject(agentError("popup_blocked"));
      }
      return call("POST", "/v1/sign", {
        digest: req.digest,
        hash: req.hash || "SHA-256",
        document: req.document,
        expires: req.expires
      }).then(function (created) {
        popup.location.href = created.confirm_url;
        return poll(created.id, popup);
      }, function (err) {
        closePopup(popup);
        throw err;
      });
    }
  };
  window.EdmsAgent = EdmsAgent;
})();
