// The official socket.io-client, as a browser dashboard or a phone would use it (long-polling
// first, then the upgrade to a websocket), printing one JSON line per thing it hears so the
// Python test can follow along.
//
//   node client.mjs <server url> <namespace> '<auth json>' [seconds]
//
// Stops when stdin closes (the test is done) or after `seconds`.
import { io } from "socket.io-client";

const [url, namespace, authJson = "{}", seconds = "30"] = process.argv.slice(2);
const out = (event, data) => process.stdout.write(JSON.stringify({ event, data }) + "\n");

const socket = io(url + namespace, {
  auth: JSON.parse(authJson),
  reconnection: false,
  timeout: 10000,
});

socket.io.on("open", () => {
  socket.io.engine.on("upgrade", (transport) => out("upgrade", { transport: transport.name }));
});
socket.on("connect", () => out("connect", { id: socket.id }));
socket.on("connect_error", (err) => {
  out("connect_error", { message: err.message, data: err.data ?? null });
  process.exit(3);
});
socket.on("disconnect", (reason) => out("disconnect", { reason }));
socket.onAny((event, data) => out(event, data));

const stop = () => {
  socket.close();
  process.exit(0);
};
process.stdin.on("end", stop);
process.stdin.resume();
setTimeout(stop, Number(seconds) * 1000);
