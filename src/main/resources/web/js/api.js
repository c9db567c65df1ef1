// REST calls of PROTOCOL.md. Errors surface as ApiError carrying the HTTP status and the
// server's {"error":{"code","message"}}, so the UI can react to 401/403/404/409/413/415.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }

  /** The endpoint itself is missing on this server (a feature not deployed yet). */
  get unsupported() {
    return this.status === 404 || this.status === 405 || this.status === 501;
  }
}

async function errorOf(response) {
  let code = null;
  let message = null;
  try {
    const json = await response.json();
    code = json?.error?.code ?? null;
    message = json?.error?.message ?? null;
  } catch {
    // not JSON: keep the status alone
  }
  return new ApiError(response.status, code, message);
}

export function createApi({ token, onUnauthorized = () => {} }) {
  async function call(method, path, body) {
    const headers = {};
    const current = typeof token === 'function' ? token() : token;
    if (current) headers.Authorization = `Bearer ${current}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (network) {
      throw new ApiError(0, 'network', 'The server cannot be reached.');
    }
    if (!response.ok) {
      const error = await errorOf(response);
      if (response.status === 401 && current) onUnauthorized(error);
      throw error;
    }
    const text = await response.text();
    return text ? JSON.parse(text) : {};
  }

  return {
    register: (username, password, displayName) =>
      call('POST', '/api/v1/accounts', displayName ? { username, password, displayName } : { username, password }),
    login: (username, password) => call('POST', '/api/v1/sessions', { username, password }),
    updates: (after, limit = 500) => call('GET', `/api/v1/updates?after=${after}&limit=${limit}`),
    createGroup: (name, members) => call('POST', '/api/v1/groups', { name, members }),
    group: (groupId) => call('GET', `/api/v1/groups/${encodeURIComponent(groupId)}`),
    addMembers: (groupId, users) => call('POST', `/api/v1/groups/${encodeURIComponent(groupId)}/members`, { add: users }),
    removeMember: (groupId, user) =>
      call('DELETE', `/api/v1/groups/${encodeURIComponent(groupId)}/members/${encodeURIComponent(user)}`),
    setDisappearing: (conversation, seconds) =>
      call('PUT', `/api/v1/conversations/${encodeURIComponent(conversation).replace(/%3A/gi, ':')}/settings`, { disappearAfterSeconds: seconds }),
    setPrivacy: (lastSeen) => call('PUT', '/api/v1/me/privacy', { lastSeen }),

    /** Uploads raw bytes; XMLHttpRequest because fetch cannot report upload progress. */
    uploadMedia(file, onProgress) {
      const xhr = new XMLHttpRequest();
      const done = new Promise((resolve, reject) => {
        xhr.open('POST', '/api/v1/media');
        const current = typeof token === 'function' ? token() : token;
        xhr.setRequestHeader('Authorization', `Bearer ${current}`);
        xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
        xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
        xhr.onload = () => {
          let json = null;
          try { json = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
          if (xhr.status >= 200 && xhr.status < 300) resolve(json);
          else reject(new ApiError(xhr.status, json?.error?.code, json?.error?.message));
        };
        xhr.onerror = () => reject(new ApiError(0, 'network', 'Upload interrupted: the server cannot be reached.'));
        xhr.onabort = () => reject(new ApiError(0, 'aborted', 'Upload cancelled.'));
        xhr.send(file);
      });
      return { done, abort: () => xhr.abort() };
    },

    /** Media without a signed URL (e.g. a thumbnail id) is fetched with the bearer token. */
    async mediaObjectUrl(mediaId) {
      const current = typeof token === 'function' ? token() : token;
      const response = await fetch(`/api/v1/media/${encodeURIComponent(mediaId)}`, {
        headers: { Authorization: `Bearer ${current}` },
      });
      if (!response.ok) throw await errorOf(response);
      return URL.createObjectURL(await response.blob());
    },
  };
}

export function socketUrl(token) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/ws?token=${encodeURIComponent(token)}`;
}
