"""The HTTP channels: a generic JSON webhook and Telegram's Bot API (the only module that imports httpx).

Both answer the dispatcher's question the same way: delivered, or a `NotifyError` that says whether trying
again can help (a network error, a timeout, 429 and 5xx can; another 4xx cannot). Telegram's 429 carries the
wait it asks for (`parameters.retry_after`), which the dispatcher honours.

Secrets: the Telegram bot token is part of its URL, and a webhook URL often embeds one too. Neither is ever
put in an error or a log line of ours (channels are named by host), and a filter on httpx's own logger
replaces the token in its request log lines with "***".
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from ibbot.errors import ConfigError, NotifyError
from ibbot.notify.base import Notification

TELEGRAM_API = "https://api.telegram.org"
_TELEGRAM_LIMIT = 4096  # characters in one message


class _Redact(logging.Filter):
    """Scrubs registered secrets out of httpx's log records (it logs every request's full URL at INFO)."""

    secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, ()
        return True


_REDACT = _Redact()


def _protect(secret: str) -> None:
    _Redact.secrets.add(secret)
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if _REDACT not in logger.filters:
            logger.addFilter(_REDACT)


def _failure(where: str, exc: httpx.HTTPError) -> NotifyError:
    # httpx's own message can name the URL: only the kind of failure goes into ours
    return NotifyError(f"{where}: {type(exc).__name__}", retryable=True)


def _status_error(where: str, response: httpx.Response, detail: str = "") -> NotifyError:
    code = response.status_code
    retryable = code == 429 or code >= 500
    return NotifyError(f"{where}: HTTP {code}" + (f" {detail}" if detail else ""), retryable=retryable)


class _HttpChannel:
    def __init__(self, name: str, timeout: float) -> None:
        self.name = name
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout, follow_redirects=False)
        return self._client

    async def _post(
        self, url: str, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        try:
            return await self._http().post(url, json=dict(body), headers=dict(headers or {}))
        except httpx.HTTPError as exc:
            raise _failure(self.name, exc) from None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


class WebhookNotifier(_HttpChannel):
    """POSTs `Notification.to_json()` to `url`; any 2xx is delivered."""

    def __init__(self, url: str, *, headers: Mapping[str, str] | None = None, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError("notify.webhook.url must be an http:// or https:// URL")
        super().__init__(f"webhook {parts.hostname}", timeout)
        self._url = url
        self._headers = dict(headers or {})
        if parts.path.strip("/"):
            _protect(parts.path)  # a path often is the webhook's secret (Slack, Discord, ...)

    async def send(self, note: Notification) -> None:
        response = await self._post(self._url, note.to_json(), self._headers)
        if not response.is_success:
            raise _status_error(self.name, response)


class TelegramNotifier(_HttpChannel):
    """sendMessage to one chat through the Bot API at `base_url` (configurable: tests point it at a local server)."""

    def __init__(self, token: str, chat_id: str, *, base_url: str = TELEGRAM_API, timeout: float = 10.0) -> None:
        if not token or ":" not in token:
            raise ConfigError('notify.telegram.token must be a bot token ("123456:ABC...", from @BotFather)')
        if not str(chat_id).strip():
            raise ConfigError("notify.telegram.chat_id is empty")
        super().__init__("telegram", timeout)
        self._token = token
        self._chat_id = str(chat_id).strip()
        self._url = f"{base_url.rstrip('/')}/bot{token}/sendMessage"
        _protect(token)

    def __repr__(self) -> str:
        return f"TelegramNotifier(chat_id={self._chat_id!r}, token=***)"

    async def send(self, note: Notification) -> None:
        text = note.as_text()
        if len(text) > _TELEGRAM_LIMIT:
            text = text[: _TELEGRAM_LIMIT - 1] + "…"
        body = {"chat_id": self._chat_id, "text": text, "disable_web_page_preview": True}
        response = await self._post(self._url, body)
        if response.is_success:
            return
        detail, retry_after = "", None
        try:
            answer = response.json()
            detail = str(answer.get("description", ""))[:200]
            retry_after = answer.get("parameters", {}).get("retry_after")
        except (ValueError, AttributeError):
            pass
        error = _status_error(self.name, response, detail.replace(self._token, "***"))
        if isinstance(retry_after, int | float):
            error.retry_after = float(retry_after)
        raise error
