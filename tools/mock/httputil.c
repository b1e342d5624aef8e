/* sofa-mock: small HTTP helpers — error bodies, status texts, query parameters, headers,
 * Basic credentials. Pure functions over strings. */
#include "http.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void mock_http_error(mock_http_response *resp, int status, const char *msg)
{
    resp->status = status;
    resp->content_type = "application/json";
    resp->body.len = 0;
    mock_strbuf_append(&resp->body, "{\"error\":\"", 10);
    for (const char *p = msg; *p; p++) {
        if (*p == '"' || *p == '\\') {
            mock_strbuf_append(&resp->body, "\\", 1);
        }
        if ((unsigned char)*p >= 0x20) {
            mock_strbuf_append(&resp->body, p, 1);
        }
    }
    mock_strbuf_append(&resp->body, "\"}", 2);
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    if (ch >= 'A' && ch <= 'F') {
        return ch - 'A' + 10;
    }
    return -1;
}

int mock_http_query_param(const char *query, const char *name, char *out, size_t outlen)
{
    size_t nlen = strlen(name);
    const char *p = query;
    while (p != NULL && *p != '\0') {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len >= nlen && strncmp(p, name, nlen) == 0 && (len == nlen || p[nlen] == '=')) {
            const char *v = len == nlen ? p + len : p + nlen + 1;
            size_t vlen = len == nlen ? 0 : len - nlen - 1;
            size_t o = 0;
            for (size_t i = 0; i < vlen && o + 1 < outlen; i++) {
                int h1, h2;
                if (v[i] == '%' && i + 2 < vlen &&
                    (h1 = hexval(v[i + 1])) >= 0 && (h2 = hexval(v[i + 2])) >= 0) {
                    out[o++] = (char)(h1 * 16 + h2);
                    i += 2;
                } else {
                    out[o++] = v[i] == '+' ? ' ' : v[i];
                }
            }
            out[o] = '\0';
            return 0;
        }
        p = amp ? amp + 1 : NULL;
    }
    return -1;
}

const char *mock_http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 424: return "Failed Dependency";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    default: return "Status";
    }
}

/* Find a header value (case-insensitive name) in the head; copies into out. */
int mock_http_header(const char *head, const char *name, char *out, size_t outlen)
{
    size_t n = strlen(name);
    const char *p = strstr(head, "\r\n");
    while (p != NULL && p[2] != '\0') {
        p += 2;
        const char *eol = strstr(p, "\r\n");
        if (eol == NULL) {
            break;
        }
        if ((size_t)(eol - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ' || *v == '\t') {
                v++;
            }
            size_t vl = (size_t)(eol - v);
            if (vl >= outlen) {
                vl = outlen - 1;
            }
            memcpy(out, v, vl);
            out[vl] = '\0';
            return 0;
        }
        p = eol;
    }
    return -1;
}

void mock_http_parse_basic(const char *auth, char *user, size_t ulen, char *pass, size_t plen, int *ok)
{
    *ok = 0;
    if (strncasecmp(auth, "Basic ", 6) != 0) {
        return;
    }
    unsigned char dec[512];
    size_t n = 0;
    const char *b = auth + 6;
    if (mock_base64_decode(b, strlen(b), dec, sizeof(dec) - 1, &n) != 0) {
        return;
    }
    dec[n] = '\0';
    char *colon = memchr(dec, ':', n);
    if (colon == NULL) {
        return;
    }
    *colon = '\0';
    if (strlen((char *)dec) >= ulen || strlen(colon + 1) >= plen) {
        return;
    }
    strcpy(user, (char *)dec);
    strcpy(pass, colon + 1);
    *ok = 1;
}
