"""Training-dynamics core: PyTorch, pandas and Altair only (never Streamlit)."""
