# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for the get-pip bootstrap script that ansible-test downloads.

ansible-test fetches get-pip from a host this machine cannot reach, then runs
it inside each sanity venv with pip-style arguments and a stripped
environment.  tests/run.sh places this file in ansible-test's cache instead:
it gives the venv the pip settings of the calling shell (``pip.conf`` next
to this file, written by tests/run.sh: index, certificate bundle), bootstraps
Python's bundled pip with ensurepip, and lets that pip install what was asked.
"""

import ensurepip
import os
import shutil
import subprocess
import sys

# get-pip's own switches; pip itself does not know them.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

settings = os.path.join(os.path.dirname(os.path.abspath(__file__)), "eks-access-pip.conf")
if os.path.exists(settings):
    shutil.copy(settings, os.path.join(sys.prefix, "pip.conf"))
# ensurepip points PIP_CONFIG_FILE at /dev/null in our environment; pip must
# see its configuration again afterwards.
environment = dict(os.environ)
ensurepip.bootstrap(upgrade=True)
argv = [sys.executable, "-m", "pip", "install"] + [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
sys.exit(subprocess.call(argv, env=environment))
