"""What ehz knows of www.ehangzhou.gov.cn: its URL patterns (`urls`) and selectors (`selectors`)."""

# Who publishes the site, as a citation names it (ehz cite).
SITE_NAME = "eHangzhou"
PUBLISHER = "Hangzhou Municipal People's Government"
