// Talking to the server over HTTP. Every failure becomes an ApiError carrying the
// server's own message and hint (its error shape is {"error": {code, message, hint}}),
// so each view can show people what went wrong and what to do next.

export class ApiError extends Error {
  constructor(status, code, message, hint = "") {
    super(message);
    this.status = status;
    this.code = code;
    this.hint = hint;
  }
}

// Paths are relative so the UI also works behind a proxy that serves it under a prefix.
export function apiUrl(path) {
  return new URL(`api/${path}`, document.baseURI).toString();
}

let onSignedOut = () => {};

/** Called when any request finds the session gone (401), e.g. it expired. */
export function whenSignedOut(callback) {
  onSignedOut = callback;
}

async function problem(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON (a proxy's error page, say): fall back to the status line below
  }
  const error = body && body.error;
  if (error && error.message) {
    return new ApiError(response.status, error.code || "error", error.message, error.hint || "");
  }
  return new ApiError(
    response.status,
    "http_error",
    `The server answered ${response.status} ${response.statusText}.`.trim(),
    "Try again in a moment.",
  );
}

/**
 * Call the API. Returns parsed JSON (or null for 204). Throws ApiError.
 * With {quiet401: true} a 401 is only thrown, not treated as "signed out".
 */
export async function api(path, { method = "GET", body, quiet401 = false } = {}) {
  let response;
  try {
    response = await fetch(apiUrl(path), {
      method,
      credentials: "same-origin",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "offline", "Could not reach the companion.", "Check that os1 is still running, then try again.");
  }
  if (!response.ok) {
    const error = await problem(response);
    if (response.status === 401 && !quiet401) onSignedOut(error);
    throw error;
  }
  if (response.status === 204) return null;
  return response.json();
}

/** Send raw bytes (a file, a recording) as the body; parsed JSON back. Throws ApiError. */
async function sendBytes(path, method, blob) {
  let response;
  try {
    response = await fetch(apiUrl(path), {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": blob.type || "application/octet-stream" },
      body: blob,
    });
  } catch {
    throw new ApiError(0, "offline", "Could not reach the companion.", "Check that os1 is still running, then try again.");
  }
  if (!response.ok) {
    const error = await problem(response);
    if (response.status === 401) onSignedOut(error);
    throw error;
  }
  return response.json();
}

/**
 * Keep a file the person brings for their skills to work on (PUT api/files/NAME).
 * Returns the stored file, whose `path` is how to name it in a request. Throws ApiError.
 */
export function uploadFile(file) {
  return sendBytes(`files/${encodeURIComponent(file.name)}`, "PUT", file);
}

/** Bring a book and add it to the library (PUT api/library/files/NAME): the add report. */
export function addBook(file) {
  return sendBytes(`library/files/${encodeURIComponent(file.name)}`, "PUT", file);
}

/** The words said in a recording (POST api/dictation): {text, seconds}. Throws ApiError. */
export function dictate(recording) {
  return sendBytes("dictation", "POST", recording);
}

/** Learn the person's hand from a picture of the filled-in sheet (POST api/letters/hands). */
export function learnHand(name, picture) {
  return sendBytes(`letters/hands?name=${encodeURIComponent(name)}`, "POST", picture);
}

/** "message — hint" for showing an error in one line. */
export function describe(error) {
  if (error instanceof ApiError) return error.hint ? `${error.message} ${error.hint}` : error.message;
  return String(error && error.message ? error.message : error);
}
