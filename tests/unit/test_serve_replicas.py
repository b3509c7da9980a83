"""scripts/serve_replicas.py without starting anything: HAProxy's configuration, and what the
script says when haproxy is missing (tests/browser/test_balanced.py runs the real cluster)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from scripts import serve_replicas


def test_config_balances_over_every_replica_with_a_sticky_cookie():
    cfg = serve_replicas.render_config(
        8080, ["127.0.0.1:9001", "127.0.0.1:9002"], Path("/tmp/x/admin.sock"), bind="0.0.0.0"
    )
    assert "bind 0.0.0.0:8080" in cfg
    assert "server replica1 127.0.0.1:9001 cookie replica1" in cfg
    assert "server replica2 127.0.0.1:9002 cookie replica2" in cfg
    assert f"cookie {serve_replicas.COOKIE} insert indirect nocache" in cfg
    assert f"backend {serve_replicas.BACKEND}" in cfg
    assert "timeout tunnel 1h" in cfg  # an open websocket may sit idle while a student reads
    assert "option httpchk GET /_stcore/health" in cfg
    assert "stats socket /tmp/x/admin.sock" in cfg
    assert "$" not in cfg  # every placeholder filled


def test_haproxy_accepts_the_config(tmp_path):
    exe = serve_replicas.haproxy_path()
    if exe is None:
        pytest.skip(serve_replicas.MISSING_HAPROXY)
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(
        serve_replicas.render_config(
            8080, ["127.0.0.1:9001", "127.0.0.1:9002"], tmp_path / "admin.sock"
        )
    )
    check = subprocess.run([exe, "-c", "-f", str(cfg)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_without_haproxy_the_script_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setattr(serve_replicas, "haproxy_path", lambda: None)
    assert serve_replicas.main(["--replicas", "1"]) != 0
    assert "apt-get install haproxy" in capsys.readouterr().err
    with pytest.raises(RuntimeError, match="apt-get install haproxy"):
        serve_replicas.Cluster(replicas=1).start()


def test_replicas_share_one_cookie_secret_and_one_torch_thread(monkeypatch):
    monkeypatch.delenv(serve_replicas.COOKIE_SECRET_ENV, raising=False)
    a, b = serve_replicas.Cluster(2), serve_replicas.Cluster(2)
    assert len(a.cookie_secret) >= 32 and a.cookie_secret != b.cookie_secret  # one per cluster
    assert a.env[serve_replicas.COOKIE_SECRET_ENV] == a.cookie_secret
    assert a.env["EXPLORER_TORCH_THREADS"] == "1"
    monkeypatch.setenv(serve_replicas.COOKIE_SECRET_ENV, "shared-by-every-machine")
    assert serve_replicas.Cluster(2).cookie_secret == "shared-by-every-machine"
