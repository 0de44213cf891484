"""HTTPS in front of the served site, for the browser tests that need what only HTTPS gives: a card
framed by a Chatwoot on another site keeps its sign-in in a Secure, SameSite=None cookie, which a
browser accepts only from an https origin.

A self-signed certificate for the test's host name, made for the run (the browser is told to take
it), and a small proxy that passes each request to the served site as nginx would, with
`X-Forwarded-Proto: https`, and passes every answer header back, each Set-Cookie included.
"""

import datetime
import http.client
import os
import ssl
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# Hop-by-hop headers (RFC 9110 §7.6.1), which a proxy does not pass on.
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer", "proxy-connection"}


def self_signed(host: str, folder: str) -> tuple[str, str]:
	"""A certificate and key for `host`, valid for a day, written to `folder`."""
	key = ec.generate_private_key(ec.SECP256R1())
	name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
	now = datetime.datetime.now(datetime.timezone.utc)
	certificate = (
		x509.CertificateBuilder()
		.subject_name(name)
		.issuer_name(name)
		.public_key(key.public_key())
		.serial_number(x509.random_serial_number())
		.not_valid_before(now - datetime.timedelta(minutes=5))
		.not_valid_after(now + datetime.timedelta(days=1))
		.add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
		.sign(key, hashes.SHA256())
	)
	cert_path, key_path = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
	with open(cert_path, "wb") as out:
		out.write(certificate.public_bytes(serialization.Encoding.PEM))
	with open(key_path, "wb") as out:
		out.write(
			key.private_bytes(
				serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
			)
		)
	return cert_path, key_path


class QuietServer(ThreadingHTTPServer):
	daemon_threads = True

	def handle_error(self, request, client_address):
		if isinstance(sys.exc_info()[1], ConnectionError | ssl.SSLError):
			return  # the browser hung up, as it does when its context closes
		super().handle_error(request, client_address)


class HttpsFront:
	"""`https://{host}:{port}` in front of `upstream` (http), until stop()."""

	def __init__(self, host: str, upstream: str):
		target = urlsplit(upstream)

		class Forward(BaseHTTPRequestHandler):
			protocol_version = "HTTP/1.1"

			def log_message(self, *args):
				pass

			def forward(self):
				length = int(self.headers.get("Content-Length") or 0)
				body = self.rfile.read(length) if length else None
				headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
				headers["X-Forwarded-Proto"] = "https"
				upstream_connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
				try:
					upstream_connection.request(self.command, self.path, body=body, headers=headers)
					answer = upstream_connection.getresponse()
					content = answer.read()
				finally:
					upstream_connection.close()
				self.send_response(answer.status, answer.reason)
				for name, value in answer.getheaders():
					if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
						self.send_header(name, value)
				self.send_header("Content-Length", str(len(content)))
				self.end_headers()
				self.wfile.write(content)

			do_GET = do_POST = forward

		self.folder = tempfile.mkdtemp(prefix="chat_bridge_https_")
		context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
		context.load_cert_chain(*self_signed(host, self.folder))
		self.server = QuietServer(("127.0.0.1", 0), Forward)
		self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
		self.url = f"https://{host}:{self.server.server_address[1]}"
		threading.Thread(target=self.server.serve_forever, daemon=True).start()

	def stop(self) -> None:
		self.server.shutdown()
		self.server.server_close()
