"""Scrapy settings for ehz: polite defaults for the live site, every one overridable with -s."""

from __future__ import annotations

BOT_NAME = "ehz_scraper"
SPIDER_MODULES = ["ehz_scraper.spiders"]
NEWSPIDER_MODULE = "ehz_scraper.spiders"

# --- Archive -------------------------------------------------------------------------
EHZ_DB = "archive/ehangzhou.db"
EHZ_BATCH_SIZE = 50  # articles per committed transaction (each article is all-or-nothing)
EHZ_BATCH_SECONDS = 2.0  # ... or fewer, when the batch has been open this long
# Fetch and archive the images article pages show (photos, the shared logo): each URL once,
# again only with a conditional GET on refresh; larger ones are skipped with a failure.
EHZ_IMAGES = True
EHZ_IMAGE_MAXSIZE = 4 * 1024 * 1024
# Named in the warcinfo record of `ehz export --format warc|wacz`.
EHZ_OPERATOR = "ehz archive (https://github.com/ehz-archive/ehz)"

ITEM_PIPELINES = {
    "ehz_scraper.pipelines.ExtractPipeline": 100,
    "ehz_scraper.pipelines.ValidatePipeline": 200,
    "ehz_scraper.pipelines.StorePipeline": 300,
}

# --- Politeness ----------------------------------------------------------------------
USER_AGENT = (
    "ehz-scraper/0.1 (+https://github.com/ehz-archive/ehz; archive of www.ehangzhou.gov.cn)"
)
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Wait 2 s, 4 s, 8 s ... (at most 60 s, or the server's Retry-After) before each retry.
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 60.0
# Host not found, connection refused, no route: 1 s, 2 s, 4 s (one URL's retries in 7 s).
RETRY_BACKOFF_OFFLINE_BASE = 1.0
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "ehz_scraper.middlewares.BackoffRetryMiddleware": 550,
    # Before RedirectMiddleware (600): a redirect off the site becomes a recorded failure.
    "ehz_scraper.middlewares.OffsiteRedirectMiddleware": 650,
    # Scrapy's own, minus the LookupError a `charset=base64` page raises in it.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "ehz_scraper.middlewares.CharsetSafeMetaRefreshMiddleware": 580,
}
# Hosts besides www.ehangzhou.gov.cn the live crawl may fetch from (http and https, default
# ports), e.g. the site's own image hosts; a mirror crawl goes to its base URL's origin only.
EHZ_IMAGE_HOSTS: list[str] = []
HTTPCACHE_ENABLED = False
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19 opens a code-executing remote-control HTTP endpoint by default: an unattended
# cron crawl has no use for it.
REMOTE_CONTROL_ENABLED = False

# --- Navigation limits (traps: a pager that never ends, an article pager gone wild) --------
EHZ_MAX_LISTING_PAGES = 2000  # per section walk; the live Latest has ~20 items a page
EHZ_MAX_ARTICLE_PAGES = 50

# Items are whole articles; a few in parallel is plenty and the default of 100 costs throughput.
CONCURRENT_ITEMS = 4

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
# No 12-line dependency dump at the top of every cron log (and above a bad-argument message).
LOG_VERSIONS: list[str] = []
LOGSTATS_INTERVAL = 60.0

# --- Reliability (lock, exit statuses, drift alarm): see docs/operations.md ---
# `scrapy crawl` exits 0 finished, 1 failed, 2 bad argument, 3 degraded, 4 interrupted, 75 locked.
COMMANDS_MODULE = "ehz_scraper.run"
EXTENSIONS = {
    "ehz_scraper.run.lock.RunLockExtension": 0,
    "ehz_scraper.run.report.RunReport": 10,
    # `-o FILE` / FEEDS export the stored records, not the raw captures (ehz_scraper/run/feeds.py).
    "scrapy.extensions.feedexport.FeedExporter": None,
    "ehz_scraper.run.feeds.RecordFeedExporter": 0,
}
EHZ_FEED_LISTINGS = False  # -s EHZ_FEED_LISTINGS=1: feeds also get the listing pages walked
EHZ_LOCK = True
EHZ_LOCK_STALE_AFTER = 3 * 24 * 3600  # seconds; only for a lock from another host
EHZ_DRIFT_THRESHOLD = 0.2  # share of articles needing fallback or lacking a field => degraded
EHZ_DRIFT_MIN_ARTICLES = 3  # below this many articles a share means little
EHZ_QUIET = False  # -q / -s EHZ_QUIET=1: print only the run summary
