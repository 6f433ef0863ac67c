//! The probes' HTTP client: hyper's pooled HTTP/1.1 client over rustls, the parts reqwest
//! is built from, without the layers reqwest puts around every request (redirects,
//! decompression, retries, and turning the URL into a string and back each time). On 100
//! regions those layers were most of a probe's CPU; a probe needs none of them (it judges
//! the answer it gets, never follows a redirect, and goes direct, never through a proxy).
//!
//! TLS is what reqwest gave the probes before: the system's trust (rustls' platform
//! verifier), plus a `ca_file`'s certificates when one is given, or no verification at all
//! with `insecure = true`, which every reading then says.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, Uri};
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use meridian_model::fleet::probes::HttpHealthConfig;

/// What every probe sends as its User-Agent.
const USER_AGENT: &str = concat!("meridian/", env!("CARGO_PKG_VERSION"), " health probe");

/// One pool of connections, shared by the regions with the same TLS settings.
#[derive(Clone)]
pub struct Transport {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
}

impl Transport {
    /// The client for these TLS settings (`ca_file` relative to the fleet file's folder).
    pub fn build(config: &HttpHealthConfig, base_dir: &Path) -> Result<Transport, String> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("cannot set up HTTPS: {e}"))?
            .dangerous();
        let tls = if config.insecure {
            builder.with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        } else {
            let extra = match &config.ca_file {
                Some(file) => ca_file(&base_dir.join(file))?,
                None => Vec::new(),
            };
            let verifier = if extra.is_empty() {
                rustls_platform_verifier::Verifier::new(provider)
            } else {
                rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider)
            }
            .map_err(|e| format!("cannot set up HTTPS: {e}"))?;
            builder.with_custom_certificate_verifier(Arc::new(verifier))
        }
        .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        // Idle connections are closed after 90 s, as reqwest did (the pool needs a timer
        // for that; without one they are kept until the server closes them).
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(https);
        Ok(Transport { client })
    }

    /// GET `uri` with these headers (Host is the URI's unless they name one).
    pub async fn get(
        &self,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<Response<Incoming>, hyper_util::client::legacy::Error> {
        let mut req = Request::new(Empty::new());
        *req.uri_mut() = uri.clone();
        *req.headers_mut() = headers.clone();
        req.headers_mut()
            .entry(http::header::USER_AGENT)
            .or_insert(http::HeaderValue::from_static(USER_AGENT));
        self.client.request(req).await
    }
}

/// The certificates of a `ca_file` (PEM; one or more).
fn ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject;
    let pem =
        std::fs::read(path).map_err(|e| format!("cannot read ca_file {}: {e}", path.display()))?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("ca_file {} holds no PEM certificate: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "ca_file {} holds no PEM certificate",
            path.display()
        ));
    }
    Ok(certs)
}

/// `insecure = true`: any certificate is taken, for any name. The handshake's signatures
/// are still checked (with the certificate offered), so the session is at least with the
/// holder of that certificate's key.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
