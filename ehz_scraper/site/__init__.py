"""What ehz knows of www.ehangzhou.gov.cn: its URL patterns (`urls`) and selectors (`selectors`)."""
