// One Socket.IO namespace as the pages use it (API.md, Socket.IO): the full state arrives after
// every (re)connect and replaces what the page shows; events are deltas numbered per room, so a
// jump in a room's numbers means something was missed and the page must fetch the state again.

/* global io */

export function openLive({
  namespace, auth, stateEvent, onState, events = {}, onGap = () => {}, onStatus = () => {},
  onRefused = () => {},
}) {
  const socket = io(namespace, {
    auth,
    // A hospital LAN restart or a server update takes seconds: come back quickly, but without
    // every screen in the building knocking at the same instant.
    reconnectionDelay: 500,
    reconnectionDelayMax: 4000,
    randomizationFactor: 0.5,
    timeout: 8000,
  });
  const seqs = {};
  let retryTimer = null;

  onStatus("connecting");

  function accept(body) {
    if (!body || typeof body.seq !== "number" || typeof body.room !== "string") return true;
    const last = seqs[body.room];
    seqs[body.room] = Math.max(body.seq, typeof last === "number" ? last : -Infinity);
    if (typeof last !== "number") return true;
    // Numbered before the state we hold was read: already part of it.
    if (body.seq <= last) return false;
    if (body.seq > last + 1) onGap(body.room);
    return true;
  }

  socket.on(stateEvent, (state) => {
    Object.assign(seqs, state.rooms || {});
    onStatus("live");
    onState(state);
  });
  for (const [name, handler] of Object.entries(events)) {
    socket.on(name, (body) => {
      if (accept(body)) handler(body);
    });
  }
  socket.on("disconnect", (reason) => {
    onStatus("offline");
    // The server closed this namespace (not the network): ask again, it will not by itself.
    if (reason === "io server disconnect") retry(1000);
  });
  socket.io.on("reconnect_attempt", () => onStatus("connecting"));
  socket.on("connect_error", (err) => {
    const data = err && err.data;
    if (data && data.code && onRefused(data) === false) {
      // A final refusal (a wrong or unknown ticket): nothing to retry, nothing "offline" to say.
      clearTimeout(retryTimer);
      socket.disconnect();
      onStatus("refused");
      return;
    }
    onStatus("offline");
    // A refusal by the server, not a network error: Socket.IO will not retry it by itself.
    if (data && data.code) retry(3000);
  });

  function retry(ms) {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => { if (!socket.connected) socket.connect(); }, ms);
  }

  return {
    socket,
    /** Drop the connection and make a new one: the server sends the whole state again. */
    resync() {
      socket.disconnect();
      socket.connect();
    },
  };
}

/** Shows the connection state in a status element, in both languages. */
export function showLiveStatus(el) {
  const TEXT = {
    live: ["Trực tuyến", "Live"],
    connecting: ["Đang kết nối", "Connecting"],
    offline: ["Mất kết nối – đang thử lại", "Offline – retrying"],
  };
  return (state) => {
    if (!el) return;
    el.dataset.state = state;
    el.hidden = state === "refused";
    if (el.hidden) return;
    const [vi, en] = TEXT[state];
    el.replaceChildren(document.createTextNode(vi + " "), Object.assign(document.createElement("span"), { className: "en", textContent: en }));
  };
}
