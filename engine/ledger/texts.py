"""The ledger's command-line texts, added to engine.export.i18n's labels (zh, en)."""

from __future__ import annotations

from engine.export.i18n import LABELS

LABELS.update(
    {
        "h_round": (
            "记录为台账中的一个轮次（阶段名见规则集，如 年初定级、中期督查、年终自查、验收）",
            "record the run as a round in the ledger (a stage the profile names, e.g. 年初定级, 中期督查, "
            "年终自查, 验收)",
        ),
        "h_round_year": (
            "轮次的年度（默认：各工作簿的考核年度）",
            "the round's year (default: each workbook's assessment year)",
        ),
        "h_replace": (
            "该年度该阶段已记录时重新记录（原轮次保留在历史中）",
            "record again a round already recorded (the earlier one stays in history)",
        ),
        "h_ledger": (
            "台账文件（默认：环境变量 BRANCHGRADE_LEDGER，否则用户数据目录下的 branchgrade/ledger.sqlite）",
            "the ledger file (default: BRANCHGRADE_LEDGER, else branchgrade/ledger.sqlite in the user's "
            "data folder)",
        ),
        "h_ledger_app": ("整改台账：检查台账文件", "the ledger: check the ledger file"),
        "h_ledger_check": (
            "检查台账文件：SQLite 完整性检查加台账自身的约束",
            "check the ledger: SQLite's integrity check plus the ledger's own invariants",
        ),
        "h_status_app": (
            "整改状态：导入支部交回的整改清单，导出整改台账",
            "rectification status: import returned lists, export the ledger workbook",
        ),
        "h_status_import": (
            "导入支部填写后交回的整改清单（文件夹或文件）",
            "import the rectification lists branches filled in and returned (folder or files)",
        ),
        "h_status_files": (
            "交回的整改清单：文件夹、文件或通配符",
            "returned lists: folders, files or patterns",
        ),
        "h_status_export": ("导出学院整改台账工作簿", "write the college's rectification ledger workbook"),
        "h_status_out": ("要写入的工作簿（.xlsx）", "the workbook to write (.xlsx)"),
        "u_round_options": (
            "--year 和 --replace 只能与 --round 一起使用",
            "--year and --replace only go with --round",
        ),
        "u_stage": (
            "阶段“{stage}”不在规则集 {profiles} 定义的阶段中；可用：{stages}",
            "stage “{stage}” is not one the profile {profiles} names; choose one of: {stages}",
        ),
        "ledger_refused": ("未记录到台账：{reason}", "nothing recorded in the ledger: {reason}"),
        "ledger_recorded": (
            "已记录轮次 {round}（编号 {id}）：{branches} 个支部，{items} 条整改事项 → {path}",
            "recorded round {round} (number {id}): {branches} branch(es), {items} item(s) → {path}",
        ),
        "ledger_replaced": (
            "（替换了编号 {id} 的轮次，原轮次保留在历史中）",
            "(replacing round {id}, kept in history)",
        ),
        "ledger_decided": (
            "对账销号（前期未销号事项）：销号 {closed}，整改未见成效 {ineffective}，"
            "结转 {carried}，不再适用 {na}",
            "earlier open items decided by the new forms: closed {closed}, not effective {ineffective}, "
            "carried over {carried}, no longer applicable {na}",
        ),
        "ledger_nothing": (
            "没有评定成功的支部，未记录轮次",
            "no branch was graded: no round recorded",
        ),
        "check_ok": (
            "✓ 台账 {path} 完好：结构版本 {version}，{rounds} 个轮次，{items} 条事项，{events} 条状态记录",
            "✓ the ledger {path} is sound: schema version {version}, {rounds} round(s), {items} item(s), "
            "{events} status event(s)",
        ),
        "import_recorded": (
            "✓ {file}：导入 {n} 条整改状态（其中 {conflicts} 条与较新记录冲突，已标记）",
            "✓ {file}: {n} status entries imported ({conflicts} conflicting with newer entries, flagged)",
        ),
        "import_unchanged": ("= {file}：此前已导入，未作改动", "= {file}: imported before, nothing changed"),
        "import_refused": ("✗ {file}：未导入", "✗ {file}: not imported"),
        "import_totals": (
            "导入 {recorded} 份，此前已导入 {unchanged} 份，拒绝 {refused} 份",
            "{recorded} list(s) imported, {unchanged} imported before, {refused} refused",
        ),
        "ledger_book_name": ("整改台账.xlsx", "rectification-ledger.xlsx"),
        "export_done": (
            "已生成整改台账 {path}：{items} 条事项，其中未销号 {open} 条",
            "wrote the rectification ledger {path}: {items} item(s), {open} open",
        ),
        "check_bad": ("✗ 台账 {path} 有 {n} 个问题：", "✗ the ledger {path} has {n} problem(s):"),
    }
)
