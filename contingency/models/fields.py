"""Field options shared by the contingency models."""

from django.core.validators import MaxValueValidator, MinValueValidator

MONEY = {"max_digits": 20, "decimal_places": 2}
SHARE = {"max_digits": 7, "decimal_places": 6, "validators": [MinValueValidator(0), MaxValueValidator(1)]}
