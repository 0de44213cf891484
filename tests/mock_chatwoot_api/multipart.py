"""multipart/form-data bodies, as Rails reads them: fields, and the files under their names."""

from email.parser import BytesParser
from email.policy import HTTP


def parse(content_type: str, body: bytes) -> dict:
	"""{name: value} for the fields; a name ending in `[]` collects a list; a file is
	{filename, content_type, data}."""
	message = BytesParser(policy=HTTP).parsebytes(
		b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
	)
	if not message.is_multipart():
		raise ValueError("not a multipart body")
	fields: dict = {}
	for part in message.iter_parts():
		name = part.get_param("name", header="content-disposition")
		if not name:
			continue
		filename = part.get_filename()
		data = part.get_payload(decode=True) or b""
		value = (
			{"filename": filename, "content_type": part.get_content_type(), "data": data}
			if filename is not None
			else data.decode()
		)
		if name.endswith("[]"):
			fields.setdefault(name, []).append(value)
		else:
			fields[name] = value
	return fields
