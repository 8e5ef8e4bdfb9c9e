"""What every command needs, built lazily from the config and the flags: store, API, engine."""

from __future__ import annotations

import argparse
from functools import cached_property
from pathlib import Path
from typing import Any

from termchat.config import Config, load_config, validate_base_url
from termchat.errors import UsageError
from termchat.output import say
from termchat.store import Store


class AppContext:
    """Owns the store, the API client and (with --demo) the in-process fake server (`DemoServer`)."""

    def __init__(
        self,
        config: Config,
        *,
        base_url: str | None,
        api_key: str | None,
        data_dir: Path,
        demo: bool = False,
        fake: Any = None,
        store: Store | None = None,
    ) -> None:
        self.config = config
        self.base_url = base_url
        self._api_key = api_key
        self.data_dir = data_dir
        self.demo = demo
        self._fake = fake
        if store is not None:  # already open (the demo's): `store` below would open another
            self.__dict__["store"] = store
        self.timeout: float | None = None
        self._capabilities: Any = None  # what the server supports, shared by `thread_engine`s

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> AppContext:
        config = load_config()
        for warning in getattr(config, "warnings", ()):
            say(warning, level="warning")
        base_url = getattr(args, "base_url", None) or config.base_url
        if base_url:
            base_url = validate_base_url(base_url)
        api_key = getattr(args, "api_key", None) or config.api_key
        data_dir = Path(config.data_dir)
        fake = store = None
        demo = bool(getattr(args, "demo", False))
        if demo:
            from termchat.demo import seed_samples, start_demo

            fake, base_url, data_dir = start_demo(args, seed=False)
            store = seed_samples(data_dir)
            api_key = "demo"
        from termchat.redact import remember_config

        remember_config(config, api_key=api_key, base_url=base_url)  # every later error is redacted
        if getattr(args, "model", None):  # `-m fast`: an alias is resolved once, here
            from termchat.request_settings import resolve_model

            args.model = resolve_model(args.model, config.aliases)
        context = cls(config, base_url=base_url, api_key=api_key, data_dir=data_dir, demo=demo, fake=fake, store=store)
        timeout = getattr(args, "timeout", None)
        if timeout is not None:
            if not 0 < timeout <= 3600:
                raise UsageError(f"--timeout must be between 0 and 3600 seconds, got {timeout:g}")
            context.timeout = timeout
        return context

    @cached_property
    def store(self) -> Store:
        from termchat.config import ensure_data_dir

        ensure_data_dir(self.data_dir)
        return Store.in_dir(self.data_dir)

    @cached_property
    def api(self) -> Any:
        from termchat.api import Api

        if self.timeout is not None:
            return Api(base_url=self.base_url, api_key=self._api_key, timeout=self.timeout)
        return Api(base_url=self.base_url, api_key=self._api_key)

    def serve_demo(self) -> None:
        """With --demo: have its fake API serve now, not only once a client connects (the app
        calls this after its first frame, so the first prompt does not wait for the fake)."""
        if self._fake is not None:
            self._fake.serve()

    @property
    def has_credentials(self) -> bool:
        return bool(self._api_key or self.base_url)

    def use_session_key(self, api_key: str) -> None:
        """Use `api_key` from now on, in this process only (it is never written anywhere)."""
        self._api_key = api_key
        api = self.__dict__.pop("api", None)  # the next use builds a client with the key
        if api is not None:
            api.close()

    def engine(self, *, model: str | None = None, mode: str | None = None, store: Store | None = None) -> Any:
        """An engine over this context's API; `store` gives a worker thread its own connection."""
        from termchat.engine import Engine
        from termchat.request_settings import resolve_model

        return Engine(
            store or self.store,
            self.api,
            model=model or resolve_model(self.config.model, self.config.aliases),
            mode=mode or self.config.state,
            instructions=self.config.instructions,
            pricing=dict(self.config.pricing) or None,
            mcp_servers=tuple(self.config.mcp_servers),
            compaction=self.config.compaction,
        )

    def thread_engine(self, store: Store | None = None) -> Any:
        """An engine with its own store connection (`store`, or a new one), for one worker
        thread; what one of them learns of the server's capabilities, all of them know (learned
        once per process)."""
        engine = self.engine(store=store or Store.in_dir(self.data_dir))
        if self._capabilities is None:
            self._capabilities = engine.capabilities
        engine.capabilities = self._capabilities
        return engine

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
        if "api" in self.__dict__:
            self.api.close()
        if self._fake is not None:
            self._fake.stop()
