"""Every string the app shows has its Spanish, and each translation keeps the placeholders."""

import pytest

from tests.translations import app_messages, placeholders, read_translations, script_messages

LANGUAGES = ("es",)
MESSAGES = app_messages()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_string_the_app_shows_is_translated(lang):
	translations = read_translations(lang)
	missing = sorted(
		f"{text!r} ({where[0]})" for text, where in MESSAGES.items() if not translations.get(text)
	)
	assert missing == [], f"{len(missing)} strings have no {lang} translation"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_their_placeholders(lang):
	wrong = [
		source
		for source, translated in read_translations(lang).items()
		if translated and placeholders(source) != placeholders(translated)
	]
	assert wrong == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_translation_is_left_for_a_string_the_app_no_longer_shows(lang):
	assert sorted(set(read_translations(lang)) - set(MESSAGES)) == []


def test_scripts_are_read_as_frappe_reads_them(tmp_path):
	script = tmp_path / "x.js"
	script.write_text(
		'frappe.msgprint(__("Sent to {0}", [who]));\n'
		"const a = __('It\\'s done');\n"
		'const b = `${__("In a template")} ${__(`Not ${fixed}`)}`;\n'
		'const c = chat_bridge.__("no");  x.__("nor this");\n'
	)
	assert [m.text for m in script_messages(script)] == ["Sent to {0}", "It's done", "In a template"]
