"""Job fairs: planning fairs, the companies and vacancies taking part, shortlists, what
organisers see of them, and exports."""
