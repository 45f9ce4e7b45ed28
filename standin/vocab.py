"""Word pools for generated data: realistic values, awkward characters included on purpose.

Strings here exercise client parsing: U+2028, a raw carriage return, non-ASCII and emoji.
"""

from __future__ import annotations

# (event name, weight out of 100). One name carries odd unicode on purpose.
EVENT_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("Page View", 34),
    ("App Open", 10),
    ("Login", 14),
    ("Search", 12),
    ("Add To Cart", 10),
    ("Purchase", 6),
    ("Sign Up", 5),
    ("Logout", 5),
    ("Café ☕ ordered", 4),
)
EVENT_NAMES: tuple[str, ...] = tuple(name for name, _ in EVENT_WEIGHTS)
# 100 slots so one randrange picks a weighted name.
EVENT_TABLE: tuple[str, ...] = tuple(name for name, w in EVENT_WEIGHTS for _ in range(w))

OSES = ("Windows", "Mac OS X", "iOS", "Android", "Linux", "Chrome OS")
BROWSERS = ("Chrome", "Safari", "Firefox", "Edge", "Mobile Safari", "Samsung Internet", None)
COUNTRIES = ("US", "US", "US", "GB", "DE", "FR", "BR", "JP", "IN", "CA", "ES", "SE")
CITIES = (
    "San Francisco",
    "London",
    "München",
    "Paris",
    "São Paulo",
    "東京",
    "Pune",
    "Montréal",
    "A Coruña",
    "Malmö",
    "Zürich",
    "Kraków",
)
PLANS = ("free", "free", "free", "starter", "pro", "pro", "enterprise")
LIBS = (
    ("web", "api-js.mixpanel.com", "2.55.1"),
    ("python", "api.mixpanel.com", "4.10.1"),
    ("iphone", "api-js.mixpanel.com", "4.2.0"),
    ("android", "api.mixpanel.com", "7.5.2"),
)
URLS = (
    "https://shop.example.com/",
    "https://shop.example.com/products/espresso-maker",
    "https://shop.example.com/cart",
    "https://shop.example.com/search?q=caf%C3%A9",
    "https://shop.example.com/blog/2024/latte-art",
    "https://shop.example.com/account",
)
SEARCH_TERMS = (
    "espresso machine",
    "café au lait",
    "grinder\u2028burr",
    "milk frother",
    "line one\rline two",
    "tè verde",
    "コーヒー豆",
    "decaf — swiss water",
    "v60 filter",
    "emoji ☕🍰",
    "moka pot",
    '"quoted" beans',
    "back\\slash",
    "cold brew",
)
SKUS = ("ESP-001", "GRD-104", "MLK-220", "FLT-010", "BNS-777", "CUP-033")
CURRENCIES = ("USD", "EUR", "GBP", "JPY", "BRL")
SIGNUP_SOURCES = ("organic", "google", "facebook", "referral", "newsletter", None)
LOGIN_METHODS = ("password", "google", "apple", "magic-link")
DRINKS = ("café crème", "flat white", "cortado", "matcha latte", "piña colada (virgin)")
NOTES = ("Grüße – 🍰", "no sugar", "extra hot\u2028please", "", "ça va")
TAG_SETS: tuple[list[str], ...] = (
    ["gift"],
    ["sale", "new"],
    [],
    ["bundle", "limited", "☕"],
    ["clearance"],
)

FIRST_NAMES = (
    "Ana",
    "José",
    "Zoë",
    "Björn",
    "Ngọc",
    "Liam",
    "Olivia",
    "Søren",
    "Aiko",
    "Chloé",
    "Mateus",
    "Priya",
    "Łukasz",
    "Emma",
    "Noah",
    "Fatima",
)
LAST_NAMES = (
    "García",
    "Müller",
    "Smith",
    "Nguyễn",
    "O'Brien",
    "Dubois",
    "Sato",
    "Kowalski",
    "Silva",
    "Patel",
    "Jensen",
    "Rossi",
    "Ødegaard",
    "Brown",
)

# Padding for fat_properties: realistic, wide, but deterministic per event.
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
    "like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
)
UTM_SOURCES = ("google", "newsletter", "twitter", "partner-blog", None)
UTM_CAMPAIGNS = ("spring_sale_2024", "brand", "retargeting-q2", "café-week", None)
REGIONS = ("California", "England", "Bavaria", "Île-de-France", "São Paulo", "Tokyo")
DEVICE_MODELS = ("iPhone15,2", "Pixel 8", "SM-S918B", "MacBookPro18,3", "Surface Pro 9")
CARRIERS = ("Verizon", "Vodafone", "T-Mobile", "NTT docomo", None)
