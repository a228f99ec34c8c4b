import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sunshine.config.settings")
os.environ.setdefault("SUNSHINE_PROCESS", "web")  # web requests get the short database limits (settings)
application = get_wsgi_application()
