"""ehz: scraper and archive of www.ehangzhou.gov.cn."""

__version__ = "0.1.0"
