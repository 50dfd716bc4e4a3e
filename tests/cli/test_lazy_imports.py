"""`alscell --help` answers at once: no command module imports numpy, pandas, scipy or SQLAlchemy up front."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("numpy", "pandas", "scipy", "sqlalchemy", "matplotlib", "plotly", "statsmodels", "lifelines", "dask")


def test_help_imports_no_heavy_module():
    code = (
        "import sys, json\n"
        "from alscell.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
