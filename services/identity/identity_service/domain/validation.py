"""Form fields shared with other services now live in consignations_shared.validation."""
from consignations_shared.validation import *  # noqa: F401,F403
from consignations_shared.validation import (  # noqa: F401
    check_company_name, check_person_name, normalise_email, normalise_french_mobile,
)
