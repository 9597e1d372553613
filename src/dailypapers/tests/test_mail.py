"""What `serve` says about where email goes, for each way mail can be set up."""

import socket

from aiosmtpd.controller import Controller

from dailypapers import mail


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_without_a_mail_server_it_names_the_folder_of_the_files(settings, tmp_path):
    settings.EMAIL_BACKEND = mail.FILE_BACKEND
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    assert f"written to files in {tmp_path / 'mail'}" in mail.describe_setup()


def test_a_mail_server_that_does_not_answer_is_said_at_start(settings):
    settings.EMAIL_BACKEND = mail.SMTP_BACKEND
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", unused_port()
    said = mail.describe_setup()
    assert f"the mail server 127.0.0.1:{settings.EMAIL_PORT} does not answer" in said


def test_a_mail_server_that_answers_is_named(settings):
    class Sink:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=unused_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = mail.SMTP_BACKEND
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        said = mail.describe_setup()
    finally:
        controller.stop()
    assert said == f"Email: sent through the mail server 127.0.0.1:{controller.port}"
