//! The stylesheet and the script, compiled into the binary. Their URLs carry a digest of their
//! content, so they are cached for a year and a new build is fetched at once; the ETag answers
//! a revalidation with 304.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("../../assets/haven.css");
const JS: &str = include_str!("../../assets/haven.js");

fn digest(content: &str) -> String {
    haven_crypto::token_digest(content)
        .chars()
        .take(16)
        .collect()
}

static CSS_TAG: LazyLock<String> = LazyLock::new(|| digest(CSS));
static JS_TAG: LazyLock<String> = LazyLock::new(|| digest(JS));
pub static CSS_URL: LazyLock<String> =
    LazyLock::new(|| format!("/assets/haven.css?v={}", CSS_TAG.as_str()));
pub static JS_URL: LazyLock<String> =
    LazyLock::new(|| format!("/assets/haven.js?v={}", JS_TAG.as_str()));

pub async fn serve(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let (body, tag, kind) = match name.as_str() {
        "haven.css" => (CSS, CSS_TAG.as_str(), "text/css; charset=utf-8"),
        "haven.js" => (JS, JS_TAG.as_str(), "text/javascript; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let etag = format!("\"{tag}\"");
    let cache = [
        (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        (header::ETAG, etag.as_str()),
    ];
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut resp = if fresh {
        (StatusCode::NOT_MODIFIED, cache).into_response()
    } else {
        (cache, body).into_response()
    };
    if !fresh {
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    }
    resp
}
