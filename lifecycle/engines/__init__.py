from lifecycle.engines.base import *  # noqa: F401,F403  (temporary while the engines are split)
from lifecycle.engines.base import TARGETS, PROJECT_SCHEMAS, PUBLISH_LOG, connect, new_build_suffix, profile_output  # noqa: F401
