//! Running the API on a socket, with graceful shutdown.

use std::future::IntoFuture;
use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::error::AppError;

/// A server answering on a socket. Dropping it stops the server too.
pub struct RunningServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningServer {
    /// Binds `addr` (port 0 picks a free port) and serves `router` on it in a background task.
    pub async fn start(router: axum::Router, addr: SocketAddr) -> Result<RunningServer, AppError> {
        let listener = TcpListener::bind(addr).await.map_err(|source| AppError::Bind { addr, source })?;
        let addr = listener.local_addr().map_err(|source| AppError::Bind { addr, source })?;
        let (stop, stopped) = oneshot::channel::<()>();
        let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
            // A dropped sender also means stop.
            let _ = stopped.await;
        });
        let task = tokio::spawn(serve.into_future());
        tracing::info!(%addr, "listening");
        Ok(RunningServer { addr, stop: Some(stop), task: Some(task) })
    }

    /// The address the server answers on, with the port it was given.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, ready for a client.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections, lets requests in flight finish, then returns.
    pub async fn shutdown(mut self) -> Result<(), AppError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => match task.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(AppError::Internal { detail: format!("server stopped with: {e}") }),
                Err(e) => Err(AppError::Internal { detail: format!("server task failed: {e}") }),
            },
            None => Ok(()),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
