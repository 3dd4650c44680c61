"""Keep the Hugging Face libraries offline: nothing is ever downloaded at run time.

Imported first by every module of this package that (lazily) loads transformers or
sentence-transformers, because ``huggingface_hub`` reads these variables when it is imported.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
# Tokenizer thread pools and forked workers deadlock (rq issue 1609); a caller may override.
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
