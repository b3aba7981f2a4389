import sys
from pathlib import Path

# The small services these tests run live next to them (plumbing_services.py).
sys.path.insert(0, str(Path(__file__).parent))
