"""PDF rendering (WeasyPrint) and QR codes for certificates, constancias and notices.

Empty until the certificate issues; WeasyPrint and qrcode are already installed."""
