# CPU image for a classroom server:
#   docker build -t explorer . && docker run -p 8501:8501 -v explorer-data:/data explorer
# torch and torchvision come from PyTorch's CPU wheel index (a few hundred MB instead of the
# CUDA build's several GB); every other package is installed at the version pinned in uv.lock
# through requirements.txt.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    EXPLORER_DATA_DIR=/data \
    EXPLORER_TORCH_THREADS=1

WORKDIR /app
COPY requirements.txt .
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.14.1 torchvision==0.29.2 \
 && grep -v -E '^(torch==|torchvision==|triton==|nvidia-|cuda-)' requirements.txt > /tmp/requirements-cpu.txt \
 && pip install -r /tmp/requirements-cpu.txt

COPY app.py ./
COPY .streamlit .streamlit
COPY core core
COPY ui ui
COPY pages pages
COPY assets assets

VOLUME /data
EXPOSE 8501
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health')"
CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501"]
