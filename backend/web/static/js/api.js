// The REST API of API.md, as the pages call it: JSON in and out, the staff CSRF token on writes,
// errors turned into an ApiError that carries the problem's stable code and its titles.

let csrfToken = null;

export function setCsrf(token) {
  csrfToken = token;
}

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && problem.title) || `HTTP ${status}`);
    this.status = status;
    this.code = (problem && problem.code) || (status === 0 ? "NETWORK" : "HTTP_" + status);
    this.problem = problem || {};
  }
}

export async function api(method, path, body = undefined, { lang = "vi" } = {}) {
  const headers = { "Accept": "application/json", "Accept-Language": lang };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  let response;
  try {
    response = await fetch(path, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, { code: "NETWORK", title: "Mất kết nối tới máy chủ", title_en: "Cannot reach the server" });
  }
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await response.json().catch(() => null) : await response.text();
  if (!response.ok) throw new ApiError(response.status, data && typeof data === "object" ? data : null);
  return data;
}

export const get = (path, opts) => api("GET", path, undefined, opts);
export const post = (path, body, opts) => api("POST", path, body, opts);

/** Vietnamese and English text of an error, for a message box. */
export const ERROR_TEXT = {
  NETWORK: ["Mất kết nối tới máy chủ", "Cannot reach the server"],
  FORBIDDEN: ["Bạn không có quyền thực hiện thao tác này", "You are not allowed to do this"],
  UNAUTHORIZED: ["Phiên đăng nhập đã hết, hãy đăng nhập lại", "Your session has ended: sign in again"],
  CSRF_FAILED: ["Phiên làm việc không hợp lệ, hãy tải lại trang", "Session check failed: reload the page"],
  INVALID_TRANSITION: ["Số này không ở trạng thái cho phép thao tác đó", "That ticket cannot do this now"],
  CONFLICT: ["Một người khác vừa thao tác số này", "Someone else just changed this ticket"],
  NOT_BEING_SERVED: ["Người bệnh chưa vào khám: bấm Bắt đầu khi người bệnh đến, hoặc Vắng mặt", "Not being seen yet: press Start when they come in, or No-show"],
  CURRENT_NOT_SERVED: ["Người bệnh vừa mời chưa vào: xác nhận vắng mặt trước khi gọi số tiếp", "The patient called has not come in: confirm the no-show first"],
  ALREADY_TRANSFERRED: ["Số này đã được chuyển tiếp sang số mới", "This ticket was already sent on to a new one"],
  RATE_LIMITED: ["Quá nhiều yêu cầu, hãy thử lại sau giây lát", "Too many requests: try again shortly"],
  INVALID_CREDENTIALS: ["Sai tên đăng nhập hoặc mật khẩu", "Wrong username or password"],
};

export function errorText(err) {
  const known = ERROR_TEXT[err.code];
  if (known) return known;
  // The API's own title is in Vietnamese (Accept-Language: vi); the code stands in for English.
  return [err.problem.title || err.message, err.problem.title_en || err.code];
}
