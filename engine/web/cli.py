"""``branchgrade serve`` and ``branchgrade user add``: the web page's commands.

Registered in engine/cli.py. The web stack (starlette, uvicorn, jinja2) is imported inside the commands,
so other commands do not pay for it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

DATA_ENV = "BRANCHGRADE_DATA"

user_app = typer.Typer(no_args_is_help=True, help="工作人员账号 / officer accounts")


def default_data() -> Path:
    """The data folder: ``BRANCHGRADE_DATA``, else ``branchgrade-data`` in the current folder."""
    return Path(os.environ.get(DATA_ENV) or "branchgrade-data")


DataOpt = Annotated[
    Path | None, typer.Option("--data", help="数据文件夹（账号、收集的工作簿与评定结果） / data folder")
]


def serve(
    host: Annotated[
        str, typer.Option("--host", help="监听地址（默认仅本机） / address to bind")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="端口 / port")] = 8000,
    data: DataOpt = None,
    workers: Annotated[int, typer.Option("--check-workers", help="自查进程数 / self-check processes")] = 2,
    college: Annotated[
        str | None,
        typer.Option(
            "--college",
            help="学院名称，印在页面与汇总表上（记在数据文件夹中，下次启动沿用；空字符串则删除）"
            " / the college's name on the pages and summaries (kept in the data folder for later starts; "
            "an empty one removes it)",
        ),
    ] = None,
    batch_workers: Annotated[
        int | None,
        typer.Option(
            "--batch-workers", help="每次收集的评定进程数（默认每核一个） / grading processes per collection"
        ),
    ] = None,
) -> None:
    """启动网页服务：支部自查与工作人员评定 / start the web page (self-check and officer pages)."""
    import uvicorn

    from engine.web.app import create_app

    folder = data or default_data()
    app = create_app(folder, check_workers=max(1, workers), batch_workers=batch_workers, college=college)
    print(f"branchgrade: http://{host}:{port}/  (数据 / data: {folder.resolve()})", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="用户名 / user name")],
    data: DataOpt = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="从标准输入读取密码 / read the password from stdin")
    ] = False,
) -> None:
    """添加工作人员账号 / add an officer account."""
    from engine.web.store import Store, StoreError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("密码 / password", hide_input=True, confirmation_prompt=True)
    try:
        Store(data or default_data()).add_user(name, password)
    except StoreError as exc:
        typer.echo(f"{exc.zh} / {exc.en}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"已添加用户 {name} / added user {name}")
